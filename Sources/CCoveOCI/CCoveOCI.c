#include "CCoveOCI.h"

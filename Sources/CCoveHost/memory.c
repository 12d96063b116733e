#include "CCoveHost.h"

#include <sys/prctl.h>

int cove_disable_transparent_hugepages(void) {
  return prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) < 0 ? -1 : 0;
}

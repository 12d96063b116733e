#ifndef CCOVEOCI_H
#define CCOVEOCI_H
// What Glibc's Swift module leaves out and unpacking layers needs:
// extended attributes (file capabilities travel as security.capability).
#include <sys/xattr.h>
#endif

/* The small-kernel scaffolding moved to guest/bare/ (the benchmark kernels
 * use it too); test kernels may keep including it from here. */
#include "guest/bare/ktest.h"

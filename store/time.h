/* Time units shared by every layer: the recording's timestamps and durations are nanoseconds. */
#ifndef HEAPSCOPE_STORE_TIME_H
#define HEAPSCOPE_STORE_TIME_H

#define NS_PER_S 1000000000LL /* an integer: divide a double by (double)NS_PER_S */

#endif

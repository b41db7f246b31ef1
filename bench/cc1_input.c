/* The cc1 workload of `make bench`: zlib's example programs (Debian's zlib1g-dev, a `make deps`
 * package) in one translation unit, preprocessed by mk/bench.mk into build/bench/cc1_input.i
 * (about 11k lines) and compiled with cc1 -O2. Each example's main is renamed; gznorm.c,
 * minigzip.c and infcover.c are left out (their macros or private headers clash). */
#define main main_enough
#include "enough.c"
#undef main
#undef local
#define main main_example
#include "example.c"
#undef main
#undef local
#define main main_fitblk
#include "fitblk.c"
#undef main
#undef local
#define main main_gun
#include "gun.c"
#undef main
#undef local
#define main main_gzappend
#include "gzappend.c"
#undef main
#undef local
#define main main_gzjoin
#include "gzjoin.c"
#undef main
#undef local
#define main main_gzlog
#include "gzlog.c"
#undef main
#undef local
#define main main_zpipe
#include "zpipe.c"
#undef main
#undef local
#define main main_zran
#include "zran.c"
#undef main
#undef local

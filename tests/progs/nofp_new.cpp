// nofp_new: built -O2 -fomit-frame-pointer; C++ allocations through operator new, whose stack
// must go on above the user function that called `new`.
//   new int[250] (1000 bytes)  main -> make_outer -> make_inner -> operator new[]   (leaked)
//   new Node (24 bytes)        main -> make_outer -> make_inner -> operator new     (leaked)
#include <unistd.h>

#include "progs.h"

struct Node {
	long a, b, c;
};

static NOINLINE void *make_inner(int which)
{
	volatile char pad[40];
	void *p;

	pad[0] = 1;
	if (which)
		p = new int[250]; // site: make_inner array
	else
		p = new Node(); // site: make_inner node
	sink(p);
	return (char *)p + pad[0] - 1;
}

static NOINLINE void *make_outer(int which)
{
	volatile char pad[72];
	void *p;

	pad[0] = 1;
	p = make_inner(which); // site: make_outer
	NO_TAIL_CALL();
	return (char *)p + pad[0] - 1;
}

int main()
{
	say("pid %d\n", (int)getpid());
	sink(make_outer(1)); // site: main array
	sink(make_outer(0)); // site: main node
	return 0;
}

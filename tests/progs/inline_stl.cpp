// STL allocations at -O2 (built by mk/progs.mk): std::vector and std::map code inlined into the
// functions that fill them; both containers leak (never destroyed).
#include <map>
#include <vector>

#include "progs.h"

NOINLINE void fill_vec(std::vector<int> &v)
{
	for (int i = 0; i < 1000; i++)
		v.push_back(i);
}

NOINLINE void fill_map(std::map<int, int> &m)
{
	for (int i = 0; i < 50; i++)
		m[i] = i;
}

int main()
{
	auto *v = new std::vector<int>;
	auto *m = new std::map<int, int>;

	fill_vec(*v);
	fill_map(*m);
	sink(v);
	sink(m);
	return 0;
}

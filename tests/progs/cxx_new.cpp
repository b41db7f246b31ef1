/* cxx_new: every form of operator new/delete with known types, and two leaking functions.
 *
 * usage: cxx_new   (exits 0; no iostream, only "pid <pid>\n" through write(2))
 * Widget is 40 B, Cache is alignas(64) and 128 B; arrays are of trivial types (no cookie).
 * Each new -> operator new -> malloc is one row (func operator new / new[]); each delete is one
 * free (free_func operator delete / delete[]). Function names below are C++ (mangled in ELF:
 * match them with LIKE '%name%').
 *
 *   function            per call                                 rows  func    size  freed by
 *   plain_new_delete    10 x new Widget; delete (sized)          10    new     40    delete
 *   unsized_delete      3 x ::operator new(64); ::operator delete 3    new     64    delete
 *   array_new_delete    5 x new int[25]; delete[]                5     new[]   100   delete[]
 *   sized_array_delete  2 x new int[25]; ::operator delete[](p,100) 2  new[]   100   delete[]
 *   nothrow_new         4 x new (nothrow) Widget; delete         4     new     40    delete
 *   nothrow_array       2 x new (nothrow) int[50]; delete[]      2     new[]   200   delete[]
 *   aligned_new         3 x new Cache (align_val_t); delete      3     new     128   delete
 *   cxx_malloc          2 x malloc(48); free                     2     malloc  48    free
 *   leak_widgets        6 x new Widget                           6     new     40    - live
 *   leak_buffers        4 x new char[1000]                       4     new[]   1000  - live
 *
 * Totals over these functions: 41 rows (new 26, new[] 13, malloc 2), 31 freed (delete 20,
 * delete[] 9, free 2), 10 live = 6 x 40 + 4 x 1000 = 4240 B.
 * Not ours: libstdc++'s emergency exception pool mallocs ~72 KiB at startup and keeps it.
 * Errors: none.
 */
#include <new>

#include "progs.h"

struct Widget {
	long a[4];
	int id;
};
static_assert(sizeof(Widget) == 40, "Widget size");

struct alignas(64) Cache {
	char b[100];
};
static_assert(sizeof(Cache) == 128, "Cache size");

static NOINLINE void plain_new_delete()
{
	for (int i = 0; i < 10; i++) {
		Widget *w = new Widget;
		sink(w);
		delete w;
	}
}

static NOINLINE void unsized_delete()
{
	for (int i = 0; i < 3; i++) {
		void *p = ::operator new(64);
		sink(p);
		::operator delete(p);
	}
}

static NOINLINE void array_new_delete()
{
	for (int i = 0; i < 5; i++) {
		int *a = new int[25];
		sink(a);
		delete[] a;
	}
}

static NOINLINE void sized_array_delete()
{
	for (int i = 0; i < 2; i++) {
		int *a = new int[25];
		sink(a);
		::operator delete[](a, 100);
	}
}

static NOINLINE void nothrow_new()
{
	for (int i = 0; i < 4; i++) {
		Widget *w = new (std::nothrow) Widget;
		sink(w);
		delete w;
	}
}

static NOINLINE void nothrow_array()
{
	for (int i = 0; i < 2; i++) {
		int *a = new (std::nothrow) int[50];
		sink(a);
		delete[] a;
	}
}

static NOINLINE void aligned_new()
{
	for (int i = 0; i < 3; i++) {
		Cache *c = new Cache;
		sink(c);
		delete c;
	}
}

static NOINLINE void cxx_malloc()
{
	for (int i = 0; i < 2; i++) {
		void *p = malloc(48);
		sink(p);
		free(p);
	}
}

static NOINLINE void leak_widgets()
{
	for (int i = 0; i < 6; i++)
		sink(new Widget);
}

static NOINLINE void leak_buffers()
{
	for (int i = 0; i < 4; i++)
		sink(new char[1000]);
}

int main()
{
	say("pid %d\n", (int)getpid());
	plain_new_delete();
	unsized_delete();
	leak_widgets();
	array_new_delete();
	sized_array_delete();
	nothrow_new();
	leak_buffers();
	nothrow_array();
	aligned_new();
	cxx_malloc();
	return 0;
}

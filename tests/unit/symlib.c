/* A tiny shared library that test_symbolize builds and dlopens after opening its symbolizer. */
int symlib_line;

__attribute__((noipa)) void *symlib_where(void)
{
	return __builtin_return_address(0);
}

/* The return address of a call from a known line (symlib_line) of this library. */
__attribute__((noipa)) void *symlib_site(void)
{
	void *ra;

	symlib_line = __LINE__ + 1;
	ra = symlib_where();
	__asm__ volatile("" ::: "memory"); /* code after the call: no tail call */
	return ra;
}

# gdb's view of a program's malloc call stacks, to check heapscope's (record_unwind_debian.sh).
#
# Sourced by `gdb -batch -nx -x gdb_malloc_stacks.py -ex 'malloc-stacks OUT FIRST EVERY CAP'
# --args CMD...`, it runs CMD with a breakpoint on malloc's first instruction and samples the
# hits: the first FIRST, then every EVERY-th, CAP in all. For each sampled hit it writes the
# real frames of the allocator's caller and older, innermost first, down to main (where gdb's
# backtrace stops) or the thread's start, one record per frame: sample, allocator (malloc, or
# realloc when it was realloc(NULL, n) that called malloc, and so on: heapscope records the
# outermost), pos, function ("??" where gdb knows no name) and module (the file's real path).
# Fields are separated by 0x1f and records ended by 0x1e (the sqlite3 shell's .mode ascii).
# Last it prints "malloc-stacks: hits N samples N exit N".
import os

import gdb

MAX_FRAMES = 64  # heapscope's default --max-depth
US, RS = "\x1f", "\x1e"
# heapscope's allocation functions in the order it places its probes: of two names of one
# function (glibc 2.36's aligned_alloc and memalign), the first names its allocations.
ALLOCATORS = ("malloc", "calloc", "realloc", "reallocarray", "posix_memalign", "aligned_alloc",
              "memalign", "valloc", "pvalloc")
ALLOCATOR_HELPERS = {"_mid_memalign"}  # glibc's memalign family, when not inlined
# Allocators that may end in a tail call to malloc (glibc's realloc(NULL, n) is `jmp
# __libc_malloc`, memalign & co. with a small alignment too). gdb shows such a jump as a frame
# only where the caller has call-site debug info, so their entries are watched: malloc entered
# with the stack pointer and return address one of them was entered with was reached by it.
TAIL_CALLERS = ("realloc", "reallocarray", "aligned_alloc", "memalign", "valloc", "pvalloc")


def module_of(pc):
    path = gdb.solib_name(pc) or gdb.current_progspace().filename
    return os.path.realpath(path) if path else "??"


def learn_allocators():
    """{glibc name: heapscope's name} for the allocators libc has, by address."""
    first_at, names = {}, {}
    for name in ALLOCATORS:
        try:
            addr = int(gdb.parse_and_eval("(long) &%s" % name))
        except gdb.error:
            continue
        names[name] = first_at.setdefault(addr, name)
    return names


def allocator(names, name):
    """heapscope's name for the allocator gdb calls NAME (__GI___libc_realloc), or None."""
    if name is None:
        return None
    if name.startswith("operator new"):
        return "operator new[]" if name.startswith("operator new[]") else "operator new"
    for prefix in ("__GI_", "__libc_", "__"):
        if name.startswith(prefix):
            name = name[len(prefix):]
    return names.get(name)


def entry_key():
    """At a function's first instruction: the thread, the stack pointer, the return address."""
    sp = int(gdb.newest_frame().read_register("rsp"))
    ret = int.from_bytes(gdb.selected_inferior().read_memory(sp, 8).tobytes(), "little")
    return gdb.selected_thread().ptid, sp, ret


class EntryBreakpoint(gdb.Breakpoint):
    def __init__(self, func, entered):
        super().__init__("*" + func, internal=True)
        self.func, self.entered = func, entered

    def stop(self):
        # A key seen before is the same call instruction again, so the same callee; or, for a
        # chain of tail calls (reallocarray's to realloc), the outermost one, as heapscope has it.
        self.entered.setdefault(entry_key(), self.func)
        return False


def caller_frames(names, frame, tail_caller):
    """The allocator called (heapscope's name for it) and the (function, module) of the real
    frames older than it, innermost first. TAIL_CALLER: the allocator that jumped to malloc."""
    # The breakpoint sits on malloc's first instruction, so the newest real frame is malloc
    # itself (an alias of __libc_malloc). malloc may have been called by another allocator
    # (realloc(NULL, n), operator new), which heapscope records as such, with that one's
    # caller's stack: skip the allocators' frames, the outermost names the allocation.
    while frame is not None and frame.type() == gdb.INLINE_FRAME:
        frame = frame.older()
    func = None
    while frame is not None and (allocator(names, frame.name()) or
                                 frame.name() in ALLOCATOR_HELPERS):
        func = allocator(names, frame.name()) or func
        frame = frame.older()
    if func == "malloc" and tail_caller:
        func = tail_caller
    # heapscope reports one frame per return address on the stack, named after the function
    # that contains it. gdb adds frames for the calls inlined there (INLINE_FRAME), which the
    # real frame's name covers, and for tail calls (TAILCALL_FRAME: f's `jmp g`), which left
    # no return address: both are left out.
    frames = []
    while frame is not None and len(frames) < MAX_FRAMES:
        if frame.type() == gdb.NORMAL_FRAME:
            # pc is a return address: the call instruction ends just before it.
            frames.append((frame.name() or "??", module_of(frame.pc() - 1)))
        frame = frame.older()
    return func or "malloc", frames


class MallocBreakpoint(gdb.Breakpoint):
    def __init__(self, out, first, every, cap):
        super().__init__("*malloc", internal=True)
        self.out, self.first, self.every, self.cap = out, first, every, cap
        self.hits = 0
        self.samples = 0
        self.names = learn_allocators()
        self.entered = {}
        self.entries = [EntryBreakpoint(f, self.entered) for f in TAIL_CALLERS
                        if self.names.get(f) == f]

    def stop(self):
        # gdb calls this on every hit (it checks an ignore count only afterwards), so the hits
        # between samples cost a Python call, not an unwind.
        self.hits += 1
        if self.hits > self.first and (self.hits - self.first) % self.every:
            return False
        try:
            func, frames = caller_frames(self.names, gdb.newest_frame(),
                                         self.entered.get(entry_key()))
        except gdb.error as e:
            func, frames = "malloc", [("<gdb error: %s>" % e, "??")]
        for pos, (name, module) in enumerate(frames):
            self.out.write(US.join((str(self.samples), func, str(pos), name, module)) + RS)
        self.samples += 1
        # At the cap, stop for real: a breakpoint may not be changed from here.
        return self.samples >= self.cap


class MallocStacks(gdb.Command):
    """malloc-stacks OUT FIRST EVERY CAP: run the program, sampling malloc's callers into OUT."""

    def __init__(self):
        super().__init__("malloc-stacks", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        path, first, every, cap = gdb.string_to_argv(arg)
        for cmd in ("set debuginfod enabled off", "set pagination off", "set confirm off",
                    "set breakpoint pending on", "set startup-with-shell off",
                    "set auto-load python-scripts off", "set auto-load gdb-scripts off",
                    "set print thread-events off", "set print inferior-events off",
                    # gdb puts the terminal's size in the program's environment: not ours.
                    "unset environment LINES", "unset environment COLUMNS"):
            gdb.execute(cmd)
        with open(path, "w") as out:
            # malloc is libc's, mapped by the dynamic linker after the program starts: stop at
            # its first instruction, then at each shared-library event until libc's symbols are
            # in, and put the breakpoint on malloc's first instruction (`break malloc` would put
            # it after the prologue, inside code inlined into malloc).
            gdb.execute("starti", to_string=True)
            gdb.execute("set stop-on-solib-events 1")
            bp = None
            while bp is None:
                gdb.execute("continue", to_string=True)
                if gdb.selected_inferior().pid == 0:
                    raise gdb.GdbError("malloc-stacks: the program exited before libc was loaded")
                try:
                    gdb.parse_and_eval("__libc_malloc")
                except gdb.error:
                    continue
                gdb.execute("set stop-on-solib-events 0")
                bp = MallocBreakpoint(out, int(first), int(every), int(cap))
            # Output made while it runs (the program's too) goes to gdb's stdout, not here.
            gdb.execute("continue")
            if gdb.selected_inferior().pid != 0:
                for b in [bp] + bp.entries:
                    b.enabled = False
                gdb.execute("continue")
        status = gdb.parse_and_eval("$_exitcode")
        status = "none" if status.type.code == gdb.TYPE_CODE_VOID else int(status)
        print("malloc-stacks: hits %d samples %d exit %s" % (bp.hits, bp.samples, status))


MallocStacks()

/* The recording file's schema: creation, version stamp and the check that refuses other versions. */
#include <errno.h>
#include <stdio.h>

#include "store/schema.h"

/* Timestamps are nanoseconds since the recording started (recording.start_time_ns is the wall
 * clock at that instant). Stacks list frames innermost first: pos 0 is the allocator's caller. */
static const char SCHEMA_SQL[] =
	"CREATE TABLE recording("
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  pid INTEGER NOT NULL,"
	"  mode TEXT NOT NULL," /* 'launch' or 'attach' */
	"  command TEXT NOT NULL,"
	"  exe TEXT,"
	"  allocator TEXT," /* path of the object whose allocator was probed */
	"  start_time_ns INTEGER NOT NULL,"
	"  duration_ns INTEGER," /* NULL while recording */
	"  end_reason TEXT,"	 /* exited, killed, duration, interrupted, error; NULL: see below */
	"  exit_status INTEGER," /* launched command: exit code, or 128 + signal */
	"  options TEXT,"	 /* JSON */
	"  dropped_events INTEGER NOT NULL DEFAULT 0,"
	"  untracked_frees INTEGER NOT NULL DEFAULT 0,"
	"  stack_collisions INTEGER NOT NULL DEFAULT 0,"
	"  stack_map_full INTEGER NOT NULL DEFAULT 0,"
	"  peak_live_bytes INTEGER NOT NULL DEFAULT 0,"
	"  peak_ts INTEGER,"
	"  stack_mode TEXT NOT NULL DEFAULT 'dwarf',"	   /* caller, fp or dwarf (--stack) */
	"  fp_fallback_frames INTEGER NOT NULL DEFAULT 0," /* frames unwound by rbp for want of CFI */
	"  unwind_files INTEGER NOT NULL DEFAULT 0,"	   /* code files with CFI tables loaded */
	"  unwind_files_no_cfi INTEGER NOT NULL DEFAULT 0,"
	"  cut_ts INTEGER,"	   /* the stop: every event before it is here, none after */
	"  first_drop_ts INTEGER," /* the first event lost; misuse from then on may be spurious */
	/* --sample: mean bytes between sampled allocations (0 = exact: every call traced). When
	 * > 0, every count and byte total is an estimate: each allocations row stands for `weight`
	 * blocks (see agent/sampling.c), and aggregates are sums of weights. */
	"  sample_bytes INTEGER NOT NULL DEFAULT 0,"
	/* Freed addresses forgotten by the double-free check (it remembers the last 64k frees):
	 * a second free of one of them is reported as an invalid free, not a double free. */
	"  freed_forgotten INTEGER NOT NULL DEFAULT 0,"
	/* The recorder (store/liveness.h): end_reason NULL means recording only while it runs;
	 * else the recording was cut short (the recorder was killed). recorder_where is the boot
	 * and pid namespace its pid means something in; heartbeat_ns the wall clock of its last
	 * commit (at least once a second), for a reader who cannot see the process. */
	"  recorder_pid INTEGER, recorder_start INTEGER, recorder_where TEXT,"
	"  heartbeat_ns INTEGER,"
	"  heapscope_version TEXT NOT NULL);"
	/* Every traced program image: a process, and again after each exec (same pid). */
	"CREATE TABLE processes(id INTEGER PRIMARY KEY, pid INTEGER NOT NULL, ppid INTEGER,"
	"  exe TEXT, command TEXT, allocator TEXT,"
	"  start_ts INTEGER NOT NULL, end_ts INTEGER,"
	"  end_reason TEXT,"	  /* exited, killed, exec, recording_end */
	"  exit_status INTEGER);" /* exit code, or 128 + signal */
	/* What heapscope could not trace, said once (a Go heap, no probeable allocator...). */
	"CREATE TABLE notices(id INTEGER PRIMARY KEY, proc INTEGER REFERENCES processes(id),"
	"  kind TEXT NOT NULL, message TEXT NOT NULL);"
	/* Per event type (alloc, free, stack, stack_raw, module): emitted by the BPF programs,
	 * lost there (ring buffer full, no thread state), received, stored, and discarded
	 * because they came after the cut. emitted = received, received = stored + after_cut. */
	"CREATE TABLE event_counts(kind TEXT PRIMARY KEY, emitted INTEGER NOT NULL,"
	"  dropped INTEGER NOT NULL, received INTEGER NOT NULL, stored INTEGER NOT NULL,"
	"  after_cut INTEGER NOT NULL);"
	"CREATE TABLE funcs(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);"
	"CREATE TABLE probes(id INTEGER PRIMARY KEY, func TEXT NOT NULL, symbol TEXT NOT NULL,"
	"  module TEXT NOT NULL, offset INTEGER NOT NULL, insn TEXT, emulated INTEGER NOT NULL,"
	"  retprobe INTEGER NOT NULL, reason TEXT);"
	"CREATE TABLE modules(id INTEGER PRIMARY KEY, path TEXT NOT NULL, build_id TEXT,"
	"  load_addr INTEGER NOT NULL, end_addr INTEGER NOT NULL);"
	/* One return address. rel_addr: its address in the module's file (addr - load bias, the
	 * ELF address addr2line -e takes), the same in every run. function is the symbol holding
	 * the code; file:line is where in it the call is, or when other functions' code is inlined
	 * at the address, the call site of the outermost of them. */
	"CREATE TABLE frames(id INTEGER PRIMARY KEY, addr INTEGER NOT NULL,"
	"  module_id INTEGER REFERENCES modules(id), rel_addr INTEGER,"
	"  function TEXT, file TEXT, line INTEGER);"
	/* The functions inlined at a frame's address, innermost first (pos 0: its file:line is the
	 * call's own source line; each next one's is the call site of the one before), as
	 * addr2line -i lists them before the frame's own function. */
	"CREATE TABLE inlined_frames(frame_id INTEGER NOT NULL, pos INTEGER NOT NULL,"
	"  function TEXT, file TEXT, line INTEGER, PRIMARY KEY(frame_id, pos)) WITHOUT ROWID;"
	/* walk_end says why the stack stops where it does: complete (the outermost frame: _start or
	 * a thread's start), caller_only, fp (the frame-pointer chain ended), depth (the limit),
	 * no_mapping, no_cfi, unsupported (a CFI rule), read_fault, bad_frame. */
	"CREATE TABLE stacks(id INTEGER PRIMARY KEY, depth INTEGER NOT NULL, walk_end TEXT NOT NULL,"
	"  proc INTEGER REFERENCES processes(id));"
	"CREATE TABLE stack_frames(stack_id INTEGER NOT NULL, pos INTEGER NOT NULL,"
	"  frame_id INTEGER NOT NULL, PRIMARY KEY(stack_id, pos)) WITHOUT ROWID;"
	"CREATE TABLE allocations("
	"  id INTEGER PRIMARY KEY," /* allocation order */
	"  addr INTEGER NOT NULL,"
	"  size INTEGER NOT NULL,"
	"  func INTEGER NOT NULL REFERENCES funcs(id),"
	"  tid INTEGER NOT NULL,"
	"  alloc_ts INTEGER NOT NULL,"
	"  free_ts INTEGER," /* NULL while live */
	"  site INTEGER REFERENCES stacks(id),"
	"  free_site INTEGER REFERENCES stacks(id),"
	"  free_func INTEGER REFERENCES funcs(id),"
	"  free_tid INTEGER,"
	"  alloc_ns INTEGER NOT NULL," /* time spent inside the allocator */
	"  pid INTEGER NOT NULL DEFAULT 0,"
	"  proc INTEGER REFERENCES processes(id)," /* free_func exec: released by an exec */
	"  weight INTEGER NOT NULL DEFAULT 1,"	  /* blocks this row stands for (sampled mode) */
	"  reach INTEGER REFERENCES reach_kinds(id));" /* the last scan's verdict; NULL: none */
	"CREATE TABLE errors(id INTEGER PRIMARY KEY,"
	"  kind TEXT NOT NULL," /* double_free or invalid_free */
	"  addr INTEGER NOT NULL, ts INTEGER NOT NULL, tid INTEGER NOT NULL,"
	"  pid INTEGER NOT NULL DEFAULT 0,"
	"  func INTEGER REFERENCES funcs(id),"
	"  site INTEGER REFERENCES stacks(id),"		   /* stack of the offending free */
	"  alloc_id INTEGER REFERENCES allocations(id),"   /* block concerned, when known */
	"  prev_free_site INTEGER REFERENCES stacks(id));" /* double free: the first free */
	"CREATE TABLE timeline(ts INTEGER PRIMARY KEY,"	   /* end of the interval */
	"  live_bytes INTEGER NOT NULL, live_blocks INTEGER NOT NULL,"
	"  allocs INTEGER NOT NULL, frees INTEGER NOT NULL,"
	"  alloc_bytes INTEGER NOT NULL, free_bytes INTEGER NOT NULL);"
	/* Per-site aggregates, written when the recording ends (see agent/sitestats.c). */
	"CREATE TABLE site_stats(site INTEGER PRIMARY KEY REFERENCES stacks(id),"
	"  allocs INTEGER NOT NULL, bytes INTEGER NOT NULL, min_size INTEGER, max_size INTEGER,"
	"  frees INTEGER NOT NULL, freed_bytes INTEGER NOT NULL,"
	"  live_blocks INTEGER NOT NULL, live_bytes INTEGER NOT NULL,"
	"  peak_live_bytes INTEGER NOT NULL, peak_ts INTEGER,"
	"  temp_allocs INTEGER NOT NULL,"  /* freed by the same thread before it allocated again */
	"  tight_allocs INTEGER NOT NULL," /* within 10 us of the site's previous allocation */
	"  burst_frees INTEGER NOT NULL," /* freed in a burst: >= 100 frees of blocks older than 1 ms within 1 ms, <= 8 sites */
	"  small_reallocs INTEGER NOT NULL," /* reallocs growing a block by at most half */
	"  max_realloc_chain INTEGER NOT NULL,"
	"  cross_thread_frees INTEGER NOT NULL,"
	"  first_ts INTEGER, last_ts INTEGER);"
	/* kind: lifetime (user buckets, lo/hi in ns), lifetime_fine, size_fine, alloc_ns_fine
	 * (quarter-octave buckets, for percentiles). Only non-empty buckets. */
	"CREATE TABLE site_hist(site INTEGER NOT NULL, kind TEXT NOT NULL, bucket INTEGER NOT NULL,"
	"  lo INTEGER NOT NULL, hi INTEGER NOT NULL, count INTEGER NOT NULL,"
	"  PRIMARY KEY(site, kind, bucket)) WITHOUT ROWID;"
	"CREATE TABLE cross_thread(site INTEGER NOT NULL, free_site INTEGER NOT NULL,"
	"  blocks INTEGER NOT NULL, PRIMARY KEY(site, free_site)) WITHOUT ROWID;"
	/* The recorder's own BPF programs: runs, and kernel time when kernel.bpf_stats_enabled=1
	 * (else 0): what tracing cost the target, per probe hit. */
	"CREATE TABLE bpf_programs(name TEXT PRIMARY KEY, runs INTEGER NOT NULL,"
	"  run_time_ns INTEGER NOT NULL);"
	/* The BPF side's other counters (bpf/abi.h enum hs_counter): sample_skipped (allocations
	 * not sampled: no event), sample_taken, sample_nested, sample_table_full, dropped... */
	"CREATE TABLE bpf_counters(name TEXT PRIMARY KEY, value INTEGER NOT NULL);"
	/* Sites of the blocks still live at the end; growth = share of the recording's tenths
	 * in which those blocks were allocated (1: still growing at the end). */
	/* reach: the last scan's verdict of those blocks (reach_kinds.id; 0: not scanned). */
	"CREATE TABLE leak_sites(site INTEGER NOT NULL, blocks INTEGER NOT NULL,"
	"  bytes INTEGER NOT NULL, oldest_ts INTEGER NOT NULL, growth REAL NOT NULL,"
	"  reach INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(site, reach));"
	/* Reachability scans (agent/reach.c): when (ts, ns since the start), of which process,
	 * why (exit: held at its exit; end: at the end of the recording; request: heapscope scan,
	 * the dashboard), how long the target was stopped, what was read, and the verdicts. */
	"CREATE TABLE scans(id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, pid INTEGER NOT NULL,"
	"  proc INTEGER REFERENCES processes(id), trigger TEXT NOT NULL,"
	"  threads INTEGER NOT NULL, stop_ns INTEGER NOT NULL, scan_ns INTEGER NOT NULL,"
	"  roots_bytes INTEGER NOT NULL, blocks_bytes INTEGER NOT NULL,"
	"  unreadable INTEGER NOT NULL,"
	"  definite_blocks INTEGER NOT NULL, definite_bytes INTEGER NOT NULL,"
	"  indirect_blocks INTEGER NOT NULL, indirect_bytes INTEGER NOT NULL,"
	"  possible_blocks INTEGER NOT NULL, possible_bytes INTEGER NOT NULL,"
	"  reachable_blocks INTEGER NOT NULL, reachable_bytes INTEGER NOT NULL);"
	"CREATE TABLE reach_kinds(id INTEGER PRIMARY KEY, name TEXT NOT NULL);"
	"CREATE TABLE events(seq INTEGER PRIMARY KEY, ts INTEGER NOT NULL, kind TEXT NOT NULL,"
	"  func INTEGER, tid INTEGER NOT NULL, addr INTEGER, size INTEGER, old_addr INTEGER,"
	"  site INTEGER, pid INTEGER NOT NULL DEFAULT 0);"
	"CREATE VIEW leaks AS SELECT * FROM allocations WHERE free_ts IS NULL;"
	"CREATE VIEW site_frames AS SELECT sf.stack_id AS site, sf.pos, f.function, f.file, f.line,"
	"  m.path AS module, f.addr FROM stack_frames sf JOIN frames f ON f.id = sf.frame_id"
	"  LEFT JOIN modules m ON m.id = f.module_id;"
	"INSERT INTO funcs(id, name) VALUES (1,'malloc'),(2,'calloc'),(3,'realloc'),"
	"  (4,'reallocarray'),(5,'posix_memalign'),(6,'aligned_alloc'),(7,'memalign'),"
	"  (8,'valloc'),(9,'pvalloc'),(10,'operator new'),(11,'operator new[]'),(12,'free'),"
	"  (13,'operator delete'),(14,'operator delete[]'),(15,'exec');"
	"INSERT INTO reach_kinds(id, name) VALUES (1,'definitely lost'),(2,'indirectly lost'),"
	"  (3,'possibly lost'),(4,'still reachable');";

int schema_create(sqlite3 *db, char **errmsg)
{
	char sql[64];

	if (sqlite3_exec(db, "BEGIN", NULL, NULL, errmsg) != SQLITE_OK ||
	    sqlite3_exec(db, SCHEMA_SQL, NULL, NULL, errmsg) != SQLITE_OK)
		goto fail;
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", STORE_SCHEMA_VERSION);
	if (sqlite3_exec(db, sql, NULL, NULL, errmsg) != SQLITE_OK ||
	    sqlite3_exec(db, "COMMIT", NULL, NULL, errmsg) != SQLITE_OK)
		goto fail;
	return 0;
fail:
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -EIO;
}

int schema_check(sqlite3 *db, int *found)
{
	sqlite3_stmt *st = NULL;
	int version = -1, has_recording = 0;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return -ENOTSUP;
	if (sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	*found = version;
	if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE name = 'recording'", -1, &st,
			       NULL) != SQLITE_OK)
		return -ENOTSUP;
	has_recording = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	if (!has_recording)
		return -ENOTSUP;
	return version == STORE_SCHEMA_VERSION ? 0 : -EPROTO;
}

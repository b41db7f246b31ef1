# bash completion for heapscope: its commands and each command's options come from the binary
# itself (`heapscope --completion-helper`, `heapscope COMMAND --completion-helper`: its getopt
# tables), so they never drift; here only what an option's value may be. Installed by
# `make install` as PREFIX/share/bash-completion/completions/heapscope; works without the
# bash-completion package too (`source dist/heapscope.bash`).

# _heapscope_values WORD...: the completions of $cur among the words.
_heapscope_values()
{
	local IFS=$'\n'
	COMPREPLY=($(compgen -W "$*" -- "$cur"))
}

_heapscope_files()
{
	local IFS=$'\n'
	compopt -o filenames 2>/dev/null
	COMPREPLY=($(compgen "${1:--f}" -- "$cur"))
}

_heapscope_pids()
{
	local IFS=$'\n'
	COMPREPLY=($(compgen -W "$(cd /proc && printf '%s\n' [0-9]*)" -- "$cur"))
}

# A value for option $prev of command $1; returns 1 if $prev takes none.
_heapscope_value()
{
	local cmd=$1
	case "$cmd:$prev" in
	daemon:-d | daemon:--data | ctl:--data) _heapscope_files -d ;;
	*:-d | *:--db | *:-o | *:--output | *:-c | *:--config | *:--token-file) _heapscope_files ;;
	check:--site-budget | check:--junit) _heapscope_files ;;
	serve:-p) ;; # serve's -p is --port
	record:-p | *:--pid | ctl:-p) [ "$cmd" = report ] || _heapscope_pids ;;
	report:--format) _heapscope_values text json csv pprof collapsed html ;;
	diff:--format | diff:-f) _heapscope_values text json csv pprof ;;
	ctl:--format) _heapscope_values db pprof html json ;;
	*:--view) _heapscope_values summary sites leaks lifetimes sizes errors timeline advice all ;;
	*:--stack) _heapscope_values dwarf fp caller ;;
	*:--group-by) _heapscope_values stack function file ;;
	*:--value) _heapscope_values bytes allocs live_bytes live_blocks ;;
	*:--sample) _heapscope_values default 0 4K 32K 128K 1M ;;
	*:--sort)
		_heapscope_values bytes allocs frees live_blocks live_bytes peak_live_bytes min_size \
			max_size avg_size temporary_share lifetime_p50_ns lifetime_p90_ns \
			lifetime_p99_ns lifetime_max_ns alloc_time_p50_ns alloc_time_p99_ns
		;;
	*)
		# Another option with a value (--port N, --top N...): nothing to offer.
		[[ " $opts " == *" $prev= "* ]] || return 1
		;;
	esac
	return 0
}

_heapscope()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local cword=$COMP_CWORD hs=${COMP_WORDS[0]} cmd opts i
	COMPREPLY=()
	# --stack=dw: bash splits it at the '=' (COMP_WORDBREAKS).
	if [ "$cur" = "=" ]; then
		cur=
	elif [ "$prev" = "=" ] && [ "$cword" -ge 3 ]; then
		prev=${COMP_WORDS[cword - 2]}
	fi
	[ -x "$hs" ] || hs=$(type -P heapscope) || return 0
	if [ "$cword" -eq 1 ]; then
		_heapscope_values $("$hs" --completion-helper 2>/dev/null) --help --version
		return 0
	fi
	cmd=${COMP_WORDS[1]}
	case "$cmd" in
	help)
		[ "$cword" -eq 2 ] && _heapscope_values $("$hs" --completion-helper 2>/dev/null)
		return 0
		;;
	version) return 0 ;;
	esac
	# record -- COMMAND [ARGS...] (and check's): a command, then its arguments.
	for ((i = 2; i < cword; i++)); do
		if [ "${COMP_WORDS[i]}" = "--" ] && { [ "$cmd" = record ] || [ "$cmd" = check ]; }; then
			if [ $((i + 1)) -eq "$cword" ]; then
				local IFS=$'\n'
				COMPREPLY=($(compgen -c -- "$cur"))
			else
				_heapscope_files
			fi
			return 0
		fi
	done
	opts=$("$hs" "$cmd" --completion-helper 2>/dev/null | tr '\n' ' ')
	[ -n "$opts" ] || return 0
	_heapscope_value "$cmd" && return 0
	if [[ "$cur" == -* ]]; then
		_heapscope_values ${opts//=/}
		return 0
	fi
	case "$cmd" in
	ctl)
		for ((i = 2; i < cword; i++)); do
			case "${COMP_WORDS[i]}" in
			list | start | stop | delete | export) return 0 ;;
			esac
		done
		_heapscope_values list start stop delete export
		;;
	diff) _heapscope_files ;;
	esac
	return 0
}

complete -F _heapscope heapscope

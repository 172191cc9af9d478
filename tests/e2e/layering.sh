#!/usr/bin/env bash
# layering.sh: the source tree's layers, checked on every #include "..." line.
#
# The Makefile puts every source folder on the include path (-Ishared -Inodes
# -Inodes/engine -Icoordinator -Icluster -Icli -Ijobs), so a wrong include compiles;
# this test is what refuses it. Each quoted include is resolved as the compiler
# does (the including file's folder first, then -I in order) and the folder it
# lands in must be allowed for the including file's layer:
#   shared/                      shared/ only: the bottom layer
#   nodes/, nodes/engine/        shared/ and nodes/
#   coordinator/, jobs/, cluster/  shared/, nodes/ and their own folder; never cli/
#                                or each other (a higher layer injects a hook instead:
#                                the job service's progress pusher, cli/cmd_run.c)
#   cli/                         anything (the top)
# Tests, benches and tools are not layers. Fails naming each file and include.
set -u
cd "${FR_ROOT:-$(dirname "$0")/../..}"
search=(shared nodes nodes/engine coordinator cluster cli jobs)

allowed() { # layer-of-including-folder target-folder -> 0 if allowed
    local from=$1 to=$2
    [[ $from == "$to" ]] && return 0
    case $from in
        shared) return 1 ;;
        nodes | nodes/engine) [[ $to == shared || $to == nodes || $to == nodes/engine ]] ;;
        coordinator | jobs | cluster) [[ $to == shared || $to == nodes || $to == nodes/engine ]] ;;
        cli) return 0 ;;
        *) return 1 ;;
    esac
}

bad=0 checked=0
for dir in "${search[@]}"; do
    for f in "$dir"/*.c "$dir"/*.h; do
        [[ -f $f ]] || continue
        while IFS= read -r line; do
            [[ $line =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*\"([^\"]+)\" ]] || continue
            inc=${BASH_REMATCH[1]} to=
            if [[ -f $dir/$inc ]]; then
                to=$dir
            else
                for d in "${search[@]}"; do
                    [[ -f $d/$inc ]] && { to=$d; break; }
                done
            fi
            checked=$((checked + 1))
            [[ -z $to ]] && continue # a generated or system header given in quotes
            to=$(dirname "$to/$inc")
            if ! allowed "$dir" "$to"; then
                echo "layering: $f includes \"$inc\" ($to/), which $dir/ may not include" >&2
                bad=$((bad + 1))
            fi
        done <"$f"
    done
done
((checked > 100)) || { echo "layering: only $checked includes found; wrong folder?" >&2; exit 1; }
((bad == 0)) || { echo "layering: $bad forbidden includes" >&2; exit 1; }
echo "layering: $checked includes, all within their layers"

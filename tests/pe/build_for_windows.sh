#!/bin/sh
# build_for_windows.sh CC OBJDUMP SOURCE... - the portable demonstrations
# compile unchanged for real Windows: each SOURCE is built with mingw-w64's
# own start-up code and C library (msvcrt), no flags of ours beyond warnings,
# and must link into a PE32+ console program that imports from KERNEL32.dll
# and the C runtime - and from neither of our DLLs' private names (TAP).
cc=$1 objdump=$2
shift 2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
echo "1..$#"
n=0 fail=0
for src in "$@"; do
    n=$((n + 1))
    name=$(basename "$src" .c)
    out="$dir/$name.exe"
    if ! log=$("$cc" -O2 -Wall -Wextra -Werror --param=min-pagesize=0 -o "$out" "$src" 2>&1); then
        echo "not ok $n - $name.c does not build for Windows: $(echo "$log" | head -n 3 | tr '\n' '|')"
        fail=1
        continue
    fi
    dlls=$("$objdump" -p "$out" | sed -n 's/^\tDLL Name: //p' | tr 'A-Z' 'a-z' | sort -u | tr '\n' ' ')
    case " $dlls" in
    *" kernel32.dll "*)
        if echo "$dlls" | grep -q "ntdll"; then
            echo "not ok $n - $name.exe for Windows imports ntdll.dll: $dlls"; fail=1
        else
            echo "ok $n - $name.c builds for Windows (imports: $dlls)"
        fi ;;
    *) echo "not ok $n - $name.exe for Windows does not import KERNEL32.dll: $dlls"; fail=1 ;;
    esac
done
exit $fail

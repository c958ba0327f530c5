#!/bin/sh
# test_run.sh MMULAB RUNNER.exe HELLO.exe - `mmulab run PROGRAM [ARGS...]`:
# the program's exit status passed through (and what happens to statuses
# outside 0-119), --add, bundled names, and clear errors for missing files,
# name clashes, bad images, oversized volumes and command lines (TAP).
mmulab=$1 runner=$2 hello=$3
. "$(dirname "$0")/../cli/tap.sh"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
plan 26

expect 0 "runner: exiting with 0" "exit status 0" -- run "$runner" exit 0
expect 37 "" "exit status 37 passes through" -- run "$runner" exit 37
expect 119 "" "exit status 119 passes through" -- run "$runner" exit 119
expect 1 "exited with status 0x00000078" "status 120 (the panic code): 1, and the status printed" \
    -- run "$runner" exit 120
expect 1 "exited with status 0xc0000005" "status 0xC0000005: 1, and the status printed" \
    -- run "$runner" exit 0xC0000005

# --add puts files on the volume, under their base names.
expect 0 "Hello from a PE32+ program" "--add: a program the runner starts" \
    -- run --add "$hello" "$runner" spawn hello.exe
expect 99 "failed: error 2" "without --add it is not there (ERROR_FILE_NOT_FOUND)" \
    -- run "$runner" spawn hello.exe
expect 0 "argv\\[2\\] = \"b c\"" "arguments through two command lines" \
    -- run --add "$hello" "$runner" spawn hello.exe a "b c"
mkdir "$dir/a" "$dir/b"
cp "$hello" "$dir/a/X.exe"
cp "$hello" "$dir/b/x.EXE"
expect 2 "X.exe (.*/a/X.exe) and x.EXE (.*/b/x.EXE) would have the same name" \
    "two files whose names differ in case clash" \
    -- run --add "$dir/a/X.exe" --add "$dir/b/x.EXE" "$runner" exit 0
cp "$hello" "$dir/NTDLL.dll"
expect 2 "ntdll.dll (bundled) and NTDLL.dll (.*) would have the same name" \
    "a file named like a system DLL clashes" \
    -- run --add "$dir/NTDLL.dll" "$runner" exit 0

# Bundled programs by name, with or without .exe, any case.
expect 0 "Hello from" "a bundled program by name" -- run hello
expect 0 "Hello from" "... with .exe, in capitals" -- run HELLO.EXE
expect 1 "nosuchdemo: no such file, and no bundled program of that name (bundled: hello, vmtour" \
    "an unknown name lists the bundled programs" -- run nosuchdemo

# Files that are missing, unreadable or not programs.
expect 1 "/nonexistent/prog.exe" "a missing file" -- run /nonexistent/prog.exe
expect 1 "$dir/a" "a directory" -- run --add "$dir/a" "$runner" exit 0
yes "not a program" | head -c 4096 > "$dir/garbage.exe"
expect 1 "garbage.exe: invalid DosHeader.e_magic .*status 0xc000012f" \
    "a text file: refused, the field named (STATUS_INVALID_IMAGE_NOT_MZ)" -- run "$dir/garbage.exe"
: > "$dir/empty.exe"
expect 1 "cannot start empty.exe: status 0xc0000" "an empty file: refused" -- run "$dir/empty.exe"
cp "$hello" "$dir/my prog.exe"
expect 2 "a program name with a space" "a program name with a space" -- run "$dir/my prog.exe"
truncate -s 65M "$dir/big.bin"
expect 1 "the volume would be [0-9]* bytes; the kernel reads at most 67108864" \
    "a volume over 64 MiB" -- run --add "$dir/big.bin" "$runner" exit 0
long=$(head -c 1100 /dev/zero | tr '\0' 'x')
expect 2 "longer than 1023 bytes" "a command line over the kernel's 1023 bytes" \
    -- run "$runner" exit "$long"

# Options: --add needs PROGRAM; --disk conflicts with it; --cmdline adds
# kernel options before run=; options after PROGRAM are the program's.
expect 2 "--add needs a PROGRAM" "--add alone" -- run --add "$hello"
expect 2 "--disk cannot be used with PROGRAM" "--disk with PROGRAM" \
    -- run --disk "$dir/big.bin" "$runner" exit 0
expect 2 "run= is for PROGRAM alone" "--cmdline with run=" -- run --cmdline run=x "$runner" exit 0
expect 0 "runner: exiting with 0" "--cmdline nopreempt before run=" \
    -- run --cmdline nopreempt "$runner" exit 0
expect 0 "argv\\[1\\] = \"--help\"" "arguments after PROGRAM are the program's" \
    -- run hello --help
expect 0 "PROGRAM \\[ARGS...\\]" "run --help describes PROGRAM" -- run --help
exit $fail

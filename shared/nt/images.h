/*
 * shared/nt/images.h - the system DLLs every PE process maps, and where
 * (docs/kernel.md, "PE images").  Owned by the kernel side; ntdll.dll and
 * kernel32.dll are linked at these bases (ld --image-base), so the kernel
 * maps them without relocating them.  Executables link at mingw-w64's
 * default, NTK_EXE_DEFAULT_BASE.  Freestanding: <stdint.h> only.
 */
#ifndef SHARED_NT_IMAGES_H
#define SHARED_NT_IMAGES_H

#include <stdint.h>

#define NTK_NTDLL_NAME        "ntdll.dll"
#define NTK_KERNEL32_NAME     "kernel32.dll"
#define NTK_NTDLL_BASE        0x00007FFF00000000ull
#define NTK_KERNEL32_BASE     0x00007FFEF0000000ull
#define NTK_EXE_DEFAULT_BASE  0x0000000140000000ull

/* ntdll's export the kernel sends user-mode exceptions to
 * (shared/nt/exception.h). */
#define NTK_DISPATCHER_EXPORT "KiUserExceptionDispatcher"

/* A process whose image lacks IMAGE_FILE_LARGE_ADDRESS_AWARE gets its
 * allocations (NtAllocateVirtualMemory, stacks, TEBs, PEB) below 2 GB, as a
 * 64-bit Windows process does; its images may still lie higher. */
#define NTK_NOT_LAA_LIMIT     0x0000000080000000ull

#endif /* SHARED_NT_IMAGES_H */

/*
 * shared/nt/process.h - what the kernel fills in for a new PE process: the
 * PEB fields and RTL_USER_PROCESS_PARAMETERS, at their Windows x64 offsets
 * (the rest of both is zero).  Freestanding: <stdint.h> only.
 *
 *   PEB+0x10  ImageBaseAddress   the EXE's base (where it was mapped)
 *   PEB+0x20  ProcessParameters  -> RTL_USER_PROCESS_PARAMETERS, in its own
 *                                   system-placed MEM_PRIVATE region
 *   PEB+0x30  ProcessHeap        0 (kernel32 creates its heap lazily)
 *
 * The parameters block is "normalized" (Flags bit 0): its UNICODE_STRING
 * buffers are absolute addresses, inside the same region, each string
 * NUL-terminated (MaximumLength = Length + 2).  ImagePathName is the name
 * the image was found by on the system volume; CommandLine is the ASCII
 * command line given to NtkCreateProcess (or run=), widened to UTF-16.
 */
#ifndef SHARED_NT_PROCESS_H
#define SHARED_NT_PROCESS_H

#include <stdint.h>

#include "shared/nt/object.h" /* UNICODE_STRING */

#define NTK_PEB_IMAGE_BASE_ADDRESS 0x10
#define NTK_PEB_PROCESS_PARAMETERS 0x20
#define NTK_PEB_PROCESS_HEAP       0x30

#define NTK_PARAMS_MAXIMUM_LENGTH  0x00
#define NTK_PARAMS_LENGTH          0x04
#define NTK_PARAMS_FLAGS           0x08
#define NTK_PARAMS_IMAGE_PATH_NAME 0x60
#define NTK_PARAMS_COMMAND_LINE    0x70
#define NTK_PARAMS_SIZE            0x400 /* the fixed part the kernel writes */
#define NTK_PARAMS_NORMALIZED      0x1u

/* The longest command line NtkCreateProcess and run= accept (characters). */
#define NTK_COMMAND_LINE_MAX       1024

#endif /* SHARED_NT_PROCESS_H */

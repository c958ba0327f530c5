/*
 * shared/nt/object.h - named objects and handles: UNICODE_STRING,
 * OBJECT_ATTRIBUTES, the access-mask bits every object type shares, and
 * where named sections live.  Windows's layouts and values (winternl.h,
 * winnt.h) under the NTK_ prefix.  Freestanding: <stdint.h> only.
 */
#ifndef SHARED_NT_OBJECT_H
#define SHARED_NT_OBJECT_H

#include <stdint.h>

/* UNICODE_STRING (x64): Length and MaximumLength in bytes. */
struct ntk_unicode_string {
    uint16_t length;            /* +0x00 without the terminating NUL */
    uint16_t maximum_length;    /* +0x02 */
    uint32_t pad;
    uint64_t buffer;            /* +0x08 UTF-16 */
};
_Static_assert(sizeof(struct ntk_unicode_string) == 16, "UNICODE_STRING");

/* OBJECT_ATTRIBUTES (x64).  Length must be its size; RootDirectory must be
 * NULL (this kernel has no directory objects); SecurityDescriptor and
 * SecurityQualityOfService are ignored. */
struct ntk_object_attributes {
    uint32_t length;            /* +0x00 = 0x30 */
    uint32_t pad0;
    uint64_t root_directory;    /* +0x08 */
    uint64_t object_name;       /* +0x10 struct ntk_unicode_string *, or NULL */
    uint32_t attributes;        /* +0x18 NTK_OBJ_* */
    uint32_t pad1;
    uint64_t security_descriptor;            /* +0x20 */
    uint64_t security_quality_of_service;    /* +0x28 */
};
_Static_assert(sizeof(struct ntk_object_attributes) == 0x30, "OBJECT_ATTRIBUTES");

#define NTK_OBJ_INHERIT          0x00000002u /* accepted, no effect: no inheritance */
#define NTK_OBJ_CASE_INSENSITIVE 0x00000040u
#define NTK_OBJ_OPENIF           0x00000080u /* create: open an existing object instead */

/* The name space of named sections: "\BaseNamedObjects\NAME" (one session:
 * kernel32 maps "Local\" and "Global\" there).  A NAME may not hold a
 * backslash; names are compared case-sensitively unless
 * NTK_OBJ_CASE_INSENSITIVE. */
#define NTK_NAMED_OBJECTS        "\\BaseNamedObjects\\"
#define NTK_OBJECT_NAME_MAX      255  /* characters, directory included */

/* Access masks (winnt.h). */
#define NTK_DELETE               0x00010000u
#define NTK_READ_CONTROL         0x00020000u
#define NTK_WRITE_DAC            0x00040000u
#define NTK_WRITE_OWNER          0x00080000u
#define NTK_SYNCHRONIZE          0x00100000u
#define NTK_STANDARD_RIGHTS_REQUIRED 0x000F0000u
#define NTK_MAXIMUM_ALLOWED      0x02000000u
#define NTK_GENERIC_ALL          0x10000000u
#define NTK_GENERIC_EXECUTE      0x20000000u
#define NTK_GENERIC_WRITE        0x40000000u
#define NTK_GENERIC_READ         0x80000000u

#endif /* SHARED_NT_OBJECT_H */

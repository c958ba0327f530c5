/*
 * shared/nt/token.h - privileges (NtOpenProcessToken,
 * NtAdjustPrivilegesToken): the token access rights, the LUIDs of the
 * privileges (Windows's fixed numbers, SE_*_PRIVILEGE of ntddk.h) and the
 * TOKEN_PRIVILEGES layout.  Freestanding.
 */
#ifndef SHARED_NT_TOKEN_H
#define SHARED_NT_TOKEN_H

#include <stdint.h>

#define NTK_TOKEN_QUERY              0x0008u
#define NTK_TOKEN_ADJUST_PRIVILEGES  0x0020u
#define NTK_TOKEN_ALL_ACCESS         0x000F01FFu

/* Privilege LUIDs (LowPart; HighPart 0).  The ones this kernel's tokens
 * hold (docs/sections.md, "Privileges and tokens"): */
#define NTK_SE_LOCK_MEMORY_PRIVILEGE        4   /* large pages */
#define NTK_SE_CHANGE_NOTIFY_PRIVILEGE      23  /* held and enabled, as on Windows */
#define NTK_SE_INC_WORKING_SET_PRIVILEGE    33
#define NTK_SE_MAX_WELL_KNOWN_PRIVILEGE     36

#define NTK_SE_PRIVILEGE_ENABLED_BY_DEFAULT 0x00000001u
#define NTK_SE_PRIVILEGE_ENABLED            0x00000002u
#define NTK_SE_PRIVILEGE_REMOVED            0x00000004u

/* LUID_AND_ATTRIBUTES; TOKEN_PRIVILEGES is a ULONG count followed by them. */
struct ntk_luid_and_attributes {
    uint32_t luid_low;
    int32_t luid_high;
    uint32_t attributes;
};
_Static_assert(sizeof(struct ntk_luid_and_attributes) == 12, "LUID_AND_ATTRIBUTES");
#define NTK_TOKEN_PRIVILEGES_HEADER 4  /* the count, before the array */

#endif /* SHARED_NT_TOKEN_H */

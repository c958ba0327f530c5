/*
 * name.c - object names for the Nt services: OBJECT_ATTRIBUTES pointing to
 * a UNICODE_STRING that holds the name.  ANSI names are widened byte by
 * byte (the kernel narrows them back the same way: docs/kernel.md,
 * "Object names").
 */
#include "guest/kernel32/k32.h"

DWORD k32_name_init(struct k32_name *n, const char *prefix, const char *name, ULONG attributes)
{
    size_t np = strlen(prefix), nn = strlen(name);
    if (np + nn > NTK_OBJECT_NAME_MAX)
        return ERROR_FILENAME_EXCED_RANGE;
    for (size_t i = 0; i < np; i++)
        n->text[i] = (BYTE)prefix[i];
    for (size_t i = 0; i < nn; i++)
        n->text[np + i] = (BYTE)name[i];
    n->text[np + nn] = 0;
    n->us = (struct ntk_unicode_string){ .length = (uint16_t)(2 * (np + nn)),
                                         .maximum_length = (uint16_t)(2 * (np + nn) + 2),
                                         .buffer = (uint64_t)(ULONG_PTR)n->text };
    n->oa = (struct ntk_object_attributes){ .length = sizeof n->oa,
                                            .object_name = (uint64_t)(ULONG_PTR)&n->us,
                                            .attributes = attributes };
    return 0;
}

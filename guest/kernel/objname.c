/*
 * objname.c - the name an NtCreate.../NtOpen... call gives, read from the
 * caller's OBJECT_ATTRIBUTES and UNICODE_STRING (shared/nt/object.h) with
 * the checks NT's object manager makes when it captures a name.  Names are
 * kept as ASCII bytes: every UTF-16 unit must be 1-255 (the 8-bit ANSI
 * names kernel32 widens come back unchanged).
 */
#include "guest/kernel/kernel.h"

#define KNOWN_ATTRIBUTES (NTK_OBJ_INHERIT | NTK_OBJ_CASE_INSENSITIVE | NTK_OBJ_OPENIF)

/* The UTF-16 text of us (length bytes) into out as bytes. */
static ntk_status narrow(const struct ntk_unicode_string *us, char *out)
{
    uint16_t w[64];
    unsigned n = us->length / 2, done = 0;
    while (done < n) {
        unsigned k = n - done < 64 ? n - done : 64;
        ntk_status st = copy_from_user(w, us->buffer + 2ull * done, 2ull * k);
        if (!NTK_SUCCESS(st))
            return st;
        for (unsigned i = 0; i < k; i++) {
            if (w[i] == 0 || w[i] > 0xff)
                return NTK_STATUS_OBJECT_NAME_INVALID;
            out[done + i] = (char)w[i];
        }
        done += k;
    }
    out[n] = 0;
    return NTK_STATUS_SUCCESS;
}

ntk_status object_name_get(uint64_t uattr, bool required, struct object_name *out)
{
    struct ntk_object_attributes oa;
    out->text[0] = 0;
    out->attributes = 0;
    if (!uattr)
        return required ? NTK_STATUS_OBJECT_NAME_INVALID : NTK_STATUS_SUCCESS;
    ntk_status st = copy_from_user(&oa, uattr, sizeof oa);
    if (!NTK_SUCCESS(st))
        return st;
    if (oa.length != sizeof oa || (oa.attributes & ~KNOWN_ATTRIBUTES))
        return NTK_STATUS_INVALID_PARAMETER;
    if (oa.root_directory)
        return NTK_STATUS_INVALID_HANDLE; /* there are no directory objects */
    out->attributes = oa.attributes;
    struct ntk_unicode_string us = { 0 };
    if (oa.object_name && !NTK_SUCCESS(st = copy_from_user(&us, oa.object_name, sizeof us)))
        return st;
    if ((us.length & 1) || us.length > us.maximum_length ||
        us.length / 2 > NTK_OBJECT_NAME_MAX)
        return NTK_STATUS_OBJECT_NAME_INVALID;
    if (us.length == 0)
        return required ? NTK_STATUS_OBJECT_NAME_INVALID : NTK_STATUS_SUCCESS;
    return narrow(&us, out->text);
}

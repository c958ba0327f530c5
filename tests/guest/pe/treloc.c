/*
 * treloc.c - a DLL linked at 0x140000000, the test EXE's base, so that it
 * is always relocated.  Its pointers need DIR64 base relocations: one in
 * read-only data (.rdata) and one in writable data (.data).
 */
#include <stdint.h>

int64_t treloc_var = 5;
int64_t *const treloc_const_ptr = &treloc_var;   /* .rdata, relocated */
int64_t *treloc_data_ptr = &treloc_var;          /* .data, relocated */
int64_t *treloc_table[4] = { &treloc_var, &treloc_var, &treloc_var, &treloc_var };

int64_t *TrelocVar(void);
int64_t *TrelocVar(void)
{
    return &treloc_var; /* RIP-relative: right wherever the DLL is */
}

int64_t *TrelocConstPtr(void);
int64_t *TrelocConstPtr(void)
{
    return *(int64_t *const volatile *)&treloc_const_ptr;
}

int64_t *TrelocDataPtr(void);
int64_t *TrelocDataPtr(void)
{
    return *(int64_t *volatile *)&treloc_data_ptr;
}

int dll_entry(void);
int dll_entry(void)
{
    return 1;
}

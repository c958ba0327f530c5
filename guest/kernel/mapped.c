/*
 * mapped.c - sections beyond images: data sections (a file of the data
 * volume) and paging-file-backed sections, and the section objects that
 * name them (NtCreateSection, NtOpenSection; CreateFileMappingA).
 *
 * A data section (section.c, SECTION_DATA) is the file's one control area:
 * every section object made from the file, every view and every file
 * object of it share it, so they all see the same pages (views of one file
 * are coherent, as Windows makes them, and so are ReadFile and WriteFile:
 * file.c reads and writes resident pages in place).  It covers the whole
 * file; a section object may be smaller.  Its pages come in from the file
 * on a fault; a page a view has written (its PTE's dirty bit, moved here by
 * view.c: PROTO_MODIFIED) goes back to the file - never to the paging file -
 * when a view is flushed or unmapped, when its process ends, and before the
 * machine stops (view.c).
 *
 * A paging-file-backed section (SECTION_PAGEFILE) is zero-filled memory
 * shared by its views; all of it is charged to the commit limit when it is
 * made (SEC_COMMIT).  Its pages stay resident while the section lives.
 *
 * Section objects (OBJ_SECTION) hold a control area, a maximum size and
 * the protection they were made with; a named one lives in one name space,
 * "\BaseNamedObjects\" (shared/nt/object.h), until its last handle closes.
 */
#include "guest/kernel/kernel.h"

struct mapped_stats mapped_stats;
static struct section_object *named;    /* named section objects */

/* ---- data sections ------------------------------------------------------- */

ntk_status data_section_get(const struct volume_file *f, struct section **out)
{
    struct section *s = section_find_file(f);
    if (!s) {
        /* Pages past NTK_SECTION_MAX_BYTES have no prototype entries: they
         * cannot be mapped, and ReadFile/WriteFile reach them on the disk. */
        uint64_t max = NTK_SECTION_MAX_BYTES / PAGE_SIZE, pages = PAGE_ROUND_UP(f->size) / PAGE_SIZE;
        if (!(s = section_new(SECTION_DATA, pages < max ? pages : max)))
            return NTK_STATUS_INSUFFICIENT_RESOURCES;
        s->file = *f;
        s->size = f->size;
        mapped_stats.sections++;
    }
    *out = s;
    return NTK_STATUS_SUCCESS;
}

/* The file's bytes in page i. */
static uint64_t page_bytes(const struct section *s, uint32_t i)
{
    uint64_t off = (uint64_t)i * PAGE_SIZE;
    return s->size - off < PAGE_SIZE ? s->size - off : PAGE_SIZE;
}

ntk_status mapped_page_in(struct section *s, uint32_t i, uint64_t pa)
{
    ntk_status st = volume_read_page(&s->file, (uint64_t)i * PAGE_SIZE, page_bytes(s, i), pa);
    if (NTK_SUCCESS(st))
        mapped_stats.page_ins++;
    return st;
}

void section_note_dirty(struct section *s, uint32_t i)
{
    uint64_t *e = s->kind == SECTION_DATA && section_resident(s, i) ? section_proto(s, i) : NULL;
    if (e)
        *e |= PROTO_MODIFIED;
}

ntk_status section_write_back(struct section *s, uint32_t first, uint32_t count)
{
    ntk_status result = NTK_STATUS_SUCCESS;
    if (s->kind != SECTION_DATA)
        return result;
    for (uint32_t i = first; i < first + count && i < s->npages; i++) {
        uint64_t frame = section_resident(s, i), *e = frame ? section_proto(s, i) : NULL;
        if (!e || !(*e & PROTO_MODIFIED))
            continue;
        ntk_status st = volume_write_page(&s->file, (uint64_t)i * PAGE_SIZE, page_bytes(s, i),
                                          frame);
        if (NTK_SUCCESS(st)) {
            *e &= ~PROTO_MODIFIED;
            mapped_stats.page_writes++;
        } else if (NTK_SUCCESS(result)) {
            result = st; /* the page stays modified: a later flush tries again */
        }
    }
    return result;
}

void mapped_section_teardown(struct section *s)
{
    if (s->kind == SECTION_DATA)
        section_write_back(s, 0, s->npages); /* normally none left: views flushed theirs */
    else
        commit_release(s->charge);
    mapped_stats.sections--;
}

/* ---- section objects --------------------------------------------------------- */

/* Which protections a view of a section may have (NT's
 * MmCompatibleProtectionMask): by the section's protection. */
static const struct {
    uint32_t section, views;
} compatible[] = {
    { NTK_PAGE_READONLY, NTK_PAGE_NOACCESS | NTK_PAGE_READONLY | NTK_PAGE_WRITECOPY },
    { NTK_PAGE_EXECUTE, NTK_PAGE_NOACCESS | NTK_PAGE_EXECUTE },
    { NTK_PAGE_EXECUTE_READ, NTK_PAGE_NOACCESS | NTK_PAGE_READONLY | NTK_PAGE_WRITECOPY |
                             NTK_PAGE_EXECUTE | NTK_PAGE_EXECUTE_READ },
    { NTK_PAGE_READWRITE, NTK_PAGE_NOACCESS | NTK_PAGE_READONLY | NTK_PAGE_WRITECOPY |
                          NTK_PAGE_READWRITE },
    { NTK_PAGE_WRITECOPY, NTK_PAGE_NOACCESS | NTK_PAGE_READONLY | NTK_PAGE_WRITECOPY },
    { NTK_PAGE_EXECUTE_READWRITE, 0xffu },
    { NTK_PAGE_EXECUTE_WRITECOPY, NTK_PAGE_NOACCESS | NTK_PAGE_READONLY | NTK_PAGE_WRITECOPY |
                                  NTK_PAGE_EXECUTE | NTK_PAGE_EXECUTE_READ |
                                  NTK_PAGE_EXECUTE_WRITECOPY },
};

bool section_protection_compatible(uint32_t section_protect, uint32_t view_protect)
{
    for (unsigned i = 0; i < sizeof compatible / sizeof compatible[0]; i++)
        if (compatible[i].section == section_protect)
            return (compatible[i].views & view_protect) == view_protect;
    return false;
}

/* What the file handle must grant for a section of this protection. */
static uint32_t file_access_for(uint32_t protect)
{
    uint32_t a = protect == NTK_PAGE_EXECUTE ? 0 : NTK_FILE_READ_DATA;
    if (protect & (NTK_PAGE_READWRITE | NTK_PAGE_EXECUTE_READWRITE))
        a |= NTK_FILE_WRITE_DATA;
    if (protect & (NTK_PAGE_EXECUTE | NTK_PAGE_EXECUTE_READ | NTK_PAGE_EXECUTE_READWRITE |
                   NTK_PAGE_EXECUTE_WRITECOPY))
        a |= NTK_FILE_EXECUTE;
    return a;
}

static char fold(char c, bool any_case)
{
    return any_case && c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static struct section_object *find_named(const char *name, bool any_case)
{
    for (struct section_object *so = named; so; so = so->next_named) {
        const char *a = so->name, *b = name;
        while (*a && fold(*a, any_case) == fold(*b, any_case))
            a++, b++;
        if (fold(*a, any_case) == fold(*b, any_case))
            return so;
    }
    return NULL;
}

/* The NAME of "\BaseNamedObjects\NAME", or why the path names nothing. */
static ntk_status section_name(const char *path, const char **name)
{
    static const char dir[] = NTK_NAMED_OBJECTS;
    size_t n = sizeof dir - 1;
    if (path[0] != '\\')
        return NTK_STATUS_OBJECT_PATH_SYNTAX_BAD; /* relative, and no root directory */
    for (size_t i = 0; i < n; i++)
        if (fold(path[i], true) != fold(dir[i], true)) /* directories: any case */
            return NTK_STATUS_OBJECT_PATH_NOT_FOUND;
    *name = path + n;
    if (!**name)
        return NTK_STATUS_OBJECT_NAME_INVALID;
    for (const char *c = *name; *c; c++)
        if (*c == '\\')
            return NTK_STATUS_OBJECT_PATH_NOT_FOUND; /* no directories below it */
    return NTK_STATUS_SUCCESS;
}

void section_object_destroy(struct section_object *so)
{
    if (so->name[0]) {
        struct section_object **pp = &named;
        while (*pp != so)
            pp = &(*pp)->next_named;
        *pp = so->next_named;
    }
    section_deref(so->s);
    kfree(so);
}

/* A handle to so with access (mapped) in the current process, at *uh. */
static ntk_status give_handle(struct section_object *so, uint32_t access, uint64_t uh)
{
    uint64_t h;
    ntk_status st = handle_create_access(current->proc, &so->obj,
                                         access_map_generic(OBJ_SECTION, access), &h);
    if (NTK_SUCCESS(st) && !NTK_SUCCESS(st = put_u64(uh, h)))
        handle_close(current->proc, h);
    return st;
}

/* ---- NtCreateSection ----------------------------------------------------------- */

#define SEC_KNOWN (NTK_SEC_FILE | NTK_SEC_IMAGE | NTK_SEC_RESERVE | NTK_SEC_COMMIT | \
                   NTK_SEC_NOCACHE | NTK_SEC_LARGE_PAGES)

/* AllocationAttributes: exactly one of SEC_COMMIT, SEC_RESERVE, SEC_IMAGE,
 * SEC_IMAGE alone, SEC_LARGE_PAGES with SEC_COMMIT and no file (the rules
 * of Windows's NtCreateSection).  This kernel makes SEC_COMMIT sections. */
static ntk_status check_attributes(uint32_t attr, bool file)
{
    uint32_t kind = attr & (NTK_SEC_COMMIT | NTK_SEC_RESERVE | NTK_SEC_IMAGE);
    if ((attr & ~SEC_KNOWN) || !kind || (kind & (kind - 1)) ||
        ((attr & NTK_SEC_IMAGE) && attr != NTK_SEC_IMAGE) ||
        ((attr & NTK_SEC_LARGE_PAGES) && (!(attr & NTK_SEC_COMMIT) || file)))
        return NTK_STATUS_INVALID_PARAMETER_6;
    if (attr & NTK_SEC_IMAGE)
        return file ? NTK_STATUS_NOT_SUPPORTED : NTK_STATUS_INVALID_FILE_FOR_SECTION;
    if (attr & (NTK_SEC_RESERVE | NTK_SEC_NOCACHE | NTK_SEC_LARGE_PAGES))
        return NTK_STATUS_NOT_SUPPORTED;
    return NTK_STATUS_SUCCESS;
}

static bool section_protection_valid(uint32_t p)
{
    return p == NTK_PAGE_READONLY || p == NTK_PAGE_READWRITE || p == NTK_PAGE_WRITECOPY ||
           p == NTK_PAGE_EXECUTE || p == NTK_PAGE_EXECUTE_READ ||
           p == NTK_PAGE_EXECUTE_READWRITE || p == NTK_PAGE_EXECUTE_WRITECOPY;
}

/* A paging-file section of size bytes, all of it charged to the commit limit. */
static ntk_status pagefile_section(uint64_t size, struct section **out)
{
    if (!size)
        return NTK_STATUS_INVALID_PARAMETER_4;
    if (size > NTK_SECTION_MAX_BYTES)
        return NTK_STATUS_SECTION_TOO_BIG;
    uint64_t pages = PAGE_ROUND_UP(size) / PAGE_SIZE;
    if (!commit_charge(pages))
        return NTK_STATUS_COMMITMENT_LIMIT;
    struct section *s = section_new(SECTION_PAGEFILE, pages);
    if (!s) {
        commit_release(pages);
        return NTK_STATUS_INSUFFICIENT_RESOURCES;
    }
    s->size = size;
    s->charge = pages;
    mapped_stats.sections++;
    *out = s;
    return NTK_STATUS_SUCCESS;
}

/* A section of the file behind handle fh: the file's data section, the
 * size checked against the file's (which cannot grow: a writable section
 * larger than its file would extend it, STATUS_DISK_FULL here). */
static ntk_status file_section(uint64_t fh, uint32_t protect, uint64_t *size,
                               struct section **out)
{
    struct object *o;
    ntk_status st = handle_reference(current->proc, fh, OBJ_FILE, 0, &o);
    if (!NTK_SUCCESS(st))
        return st;
    struct file *f = (struct file *)o;
    uint64_t fsize = f->s->size;
    uint32_t need = file_access_for(protect);
    if ((f->access & need) != need)
        st = NTK_STATUS_ACCESS_DENIED;
    else if (*size == 0 && fsize == 0)
        st = NTK_STATUS_MAPPED_FILE_SIZE_ZERO;
    else if (*size > fsize)
        st = (protect & (NTK_PAGE_READWRITE | NTK_PAGE_EXECUTE_READWRITE)) &&
                     *size <= NTK_SECTION_MAX_BYTES
                 ? NTK_STATUS_DISK_FULL
                 : NTK_STATUS_SECTION_TOO_BIG;
    else if ((*size ? *size : fsize) > NTK_SECTION_MAX_BYTES)
        st = NTK_STATUS_SECTION_TOO_BIG;
    if (NTK_SUCCESS(st)) {
        *size = *size ? *size : fsize;
        section_ref(f->s);
        *out = f->s;
    }
    object_deref(o);
    return st;
}

/* NtCreateSection(*Section, DesiredAccess, ObjectAttributes, *MaximumSize,
 *                 SectionPageProtection, AllocationAttributes, File) */
ntk_status svc_create_section(struct trapframe *tf, const uint64_t *a)
{
    (void)tf;
    struct object_name on;
    const char *name = NULL;
    uint64_t size = 0;
    uint32_t protect = (uint32_t)a[4];
    ntk_status st = put_u64(a[0], 0);
    if (!NTK_SUCCESS(st) || !NTK_SUCCESS(st = check_attributes((uint32_t)a[5], a[6] != 0)))
        return st;
    if (!section_protection_valid(protect))
        return NTK_STATUS_INVALID_PAGE_PROTECTION;
    if (!NTK_SUCCESS(st = object_name_get(a[2], false, &on)) ||
        (on.text[0] && !NTK_SUCCESS(st = section_name(on.text, &name))))
        return st;
    if (a[3] && !NTK_SUCCESS(st = get_u64(a[3], &size)))
        return st;
    if ((int64_t)size < 0)
        return NTK_STATUS_SECTION_TOO_BIG;
    bool any_case = (on.attributes & NTK_OBJ_CASE_INSENSITIVE) != 0;
    struct section_object *existing = name ? find_named(name, any_case) : NULL;
    if (existing) {
        if (!(on.attributes & NTK_OBJ_OPENIF))
            return NTK_STATUS_OBJECT_NAME_COLLISION;
        st = give_handle(existing, (uint32_t)a[1], a[0]);
        return NTK_SUCCESS(st) ? NTK_STATUS_OBJECT_NAME_EXISTS : st;
    }
    struct section *s;
    st = a[6] ? file_section(a[6], protect, &size, &s) : pagefile_section(size, &s);
    if (!NTK_SUCCESS(st))
        return st;
    struct section_object *so = kalloc(sizeof *so);
    if (!so) {
        section_deref(s);
        return NTK_STATUS_INSUFFICIENT_RESOURCES;
    }
    so->obj.type = OBJ_SECTION;
    so->obj.refs = 1;
    so->s = s;
    so->size = size;
    so->protect = protect;
    if (name) {
        memcpy(so->name, name, strlen(name) + 1);
        so->next_named = named;
        named = so;
    }
    st = give_handle(so, (uint32_t)a[1], a[0]);
    object_deref(&so->obj); /* the handle holds it now (or nothing does) */
    return st;
}

/* NtOpenSection(*Section, DesiredAccess, ObjectAttributes) */
ntk_status svc_open_section(struct trapframe *tf, const uint64_t *a)
{
    (void)tf;
    struct object_name on;
    const char *name;
    ntk_status st = put_u64(a[0], 0);
    if (!NTK_SUCCESS(st) || !NTK_SUCCESS(st = object_name_get(a[2], true, &on)) ||
        !NTK_SUCCESS(st = section_name(on.text, &name)))
        return st;
    struct section_object *so = find_named(name, on.attributes & NTK_OBJ_CASE_INSENSITIVE);
    if (!so)
        return NTK_STATUS_OBJECT_NAME_NOT_FOUND;
    return give_handle(so, (uint32_t)a[1], a[0]);
}

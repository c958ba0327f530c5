/*
 * section.c - sections (NT's control areas and segments): one object per
 * image file of the system volume, per open or mapped file of the data
 * volume, and per paging-file-backed section, shared by every process that
 * maps it.  For each page it holds a prototype PTE: 0 while the page is not
 * in memory, else the physical address of the shared frame that holds it
 * (bit 0, PROTO_VALID; bit 1, PROTO_MODIFIED, marks a data page that
 * differs from its file).  A view of the section in a process (vm.c,
 * vm_map_image, vm_map_view) starts with PTEs that only say "ask the
 * section"; the first touch in any process calls section_page(), which
 * brings the page in the first time - an image page read from its file
 * (the raw data of its PE section), a data page read from its file
 * (mapped.c), a paging-file page zeroed - and hands the same frame to every
 * later caller.  An image section also holds the parsed headers.
 *
 * The prototype table is two-level: a directory of up to 256 frames, each
 * holding 512 prototype entries, allocated as pages come in (so a section
 * is at most 512 MB).  A section lives while views, file and section
 * objects or the loader hold references; when the last goes, its frames go
 * back to the PFN database.
 *
 * Paging: a frame an image section holds is clean - its contents are the
 * file's - so when no process maps it any more it goes to the standby list
 * (its PFN entry records the prototype entry), from which the next touch
 * takes it back (section_page says SECTION_STANDBY) or from which it is
 * reused: then section_discard() marks the page "not read" again, and the
 * next touch reads it from the file once more.  It is never written to the
 * paging file.  The exception is a page of a shared writable section
 * (IMAGE_SCN_MEM_SHARED): processes write to the section's frame itself,
 * so it is kept (never trimmed) while the section lives.  So are the pages
 * of data and paging-file sections: a data page's dirty contents go back
 * to its file only when a view is flushed or unmapped (view.c), and a
 * paging-file section's pages stay resident while the section lives
 * (docs/sections.md, "What differs from Windows").
 */
#include "guest/kernel/kernel.h"

#define PROTO_FRAME(e) ((e) & ~(PAGE_SIZE - 1))
#define PROTO_PER_PAGE (PAGE_SIZE / 8)
#define PROTO_DIR_MAX (PE_MAX_IMAGE / PAGE_SIZE / PROTO_PER_PAGE)

static struct section *sections;   /* live sections */
struct image_stats image_stats;

static void report(const char *file, const struct pe_error *e)
{
    kprintf("image %s: invalid %s", file, e->field);
    if (e->index >= 0)
        kprintf("[%d]", e->index);
    kprintf(" at %s 0x%llx: 0x%llx (status 0x%08x)\n", e->rva ? "RVA" : "file offset",
            (unsigned long long)e->offset, (unsigned long long)e->value, (uint32_t)e->status);
}

void section_report(const struct section *s, const struct pe_error *e)
{
    report(s->file.name, e);
}

/* Fault injection for the tests: "pageinfail=FILE:RVA" (hex) makes the
 * page-in of that page of FILE fail as a disk error would.  The page's
 * number + 1, or 0. */
static uint32_t fault_injection(const char *file)
{
    char v[96];
    size_t n = strlen(file);
    if (!cmdline_get("pageinfail", v, sizeof v) || memcmp(v, file, n) || v[n] != ':')
        return 0;
    uint64_t rva = 0;
    for (const char *s = v + n + 1; *s; s++)
        rva = rva * 16 + (uint64_t)(*s <= '9' ? *s - '0' : (*s | 0x20) - 'a' + 10);
    return (uint32_t)(rva / PAGE_SIZE + 1);
}

/* Read and check the headers of f into a new section. */
static ntk_status section_create(const struct volume_file *f, struct section **out)
{
    struct section *s = kalloc(sizeof *s);
    struct pe_info *info = kalloc(sizeof *info);
    uint64_t page = pfn_alloc(USE_VOLUME, false);
    ntk_status st = NTK_STATUS_INSUFFICIENT_RESOURCES;
    if (s && info && page) {
        uint64_t n = f->size < PE_HEADER_BYTES ? f->size : PE_HEADER_BYTES;
        struct pe_error e;
        st = volume_read(f, 0, P2V(page), n);
        if (NTK_SUCCESS(st) && pe_parse_headers(P2V(page), n, f->size, info, &e)) {
            report(f->name, &e);
            st = e.status;
        }
    }
    if (page)
        pfn_free(page);
    if (!NTK_SUCCESS(st)) {
        kfree(info);
        kfree(s);
        return st;
    }
    s->kind = SECTION_IMAGE;
    s->file = *f;
    s->info = info;
    s->refs = 1;
    s->npages = info->size_of_image / PAGE_SIZE;
    s->fail_page = fault_injection(f->name);
    s->next = sections;
    sections = s;
    image_stats.sections++;
    *out = s;
    return NTK_STATUS_SUCCESS;
}

ntk_status section_open(const char *name, struct section **out)
{
    struct volume_file f;
    for (struct section *s = sections; s; s = s->next) /* mapped now: no volume walk */
        if (s->kind == SECTION_IMAGE && volume_same_name(s->file.name, name)) {
            s->refs++;
            *out = s;
            return NTK_STATUS_SUCCESS;
        }
    if (!volume_find(name, &f))
        return NTK_STATUS_OBJECT_NAME_NOT_FOUND;
    return section_create(&f, out);
}

/* A data or paging-file section of npages (mapped.c fills in the rest). */
struct section *section_new(enum section_kind kind, uint64_t npages)
{
    KASSERT(kind != SECTION_IMAGE);
    if (npages > PROTO_DIR_MAX * PROTO_PER_PAGE)
        return NULL;
    struct section *s = kalloc(sizeof *s);
    if (!s)
        return NULL;
    s->kind = kind;
    s->refs = 1;
    s->npages = (uint32_t)npages;
    s->next = sections;
    sections = s;
    return s;
}

/* The data section of f if one is alive (+ref), else NULL. */
struct section *section_find_file(const struct volume_file *f)
{
    for (struct section *s = sections; s; s = s->next)
        if (s->kind == SECTION_DATA && s->file.vol == f->vol && s->file.offset == f->offset) {
            s->refs++;
            return s;
        }
    return NULL;
}

void section_ref(struct section *s)
{
    s->refs++;
}

/* The counter of frames the section's kind holds. */
static uint64_t *resident_count(const struct section *s)
{
    return s->kind == SECTION_IMAGE ? &image_stats.resident : &mapped_stats.resident;
}

static void section_destroy(struct section *s)
{
    if (s->kind != SECTION_IMAGE)
        mapped_section_teardown(s);
    for (unsigned d = 0; d < PROTO_DIR_MAX && s->dir && d < s->ndir; d++) {
        if (!s->dir[d])
            continue;
        uint64_t *proto = P2V(s->dir[d]);
        for (unsigned i = 0; i < PROTO_PER_PAGE; i++)
            if (proto[i] & PROTO_VALID) {
                pfn_free(PROTO_FRAME(proto[i]));
                (*resident_count(s))--;
            }
        pfn_free(s->dir[d]);
    }
    kfree(s->dir);
    kfree(s->info);
    struct section **pp = &sections;
    while (*pp != s)
        pp = &(*pp)->next;
    *pp = s->next;
    if (s->kind == SECTION_IMAGE)
        image_stats.sections--;
    kfree(s);
}

void section_deref(struct section *s)
{
    KASSERT(s->refs > 0);
    if (--s->refs == 0)
        section_destroy(s);
}

/* The prototype entry of page i, its table allocated if need be. */
uint64_t *section_proto(struct section *s, uint32_t i)
{
    if (!s->dir) {
        s->ndir = (s->npages + PROTO_PER_PAGE - 1) / PROTO_PER_PAGE;
        if (!(s->dir = kalloc(s->ndir * sizeof *s->dir)))
            return NULL;
    }
    uint32_t d = i / PROTO_PER_PAGE;
    if (!s->dir[d] && !(s->dir[d] = pfn_alloc(USE_PAGE_TABLE, true)))
        return NULL;
    return (uint64_t *)P2V(s->dir[d]) + i % PROTO_PER_PAGE;
}

uint64_t section_resident(const struct section *s, uint32_t i)
{
    if (i >= s->npages || !s->dir || !s->dir[i / PROTO_PER_PAGE])
        return 0;
    uint64_t e = ((const uint64_t *)P2V(s->dir[i / PROTO_PER_PAGE]))[i % PROTO_PER_PAGE];
    return e & PROTO_VALID ? PROTO_FRAME(e) : 0;
}

/* A page whose writes reach the section's frame (a shared writable image
 * section): its frame holds data the file does not have. */
static bool written_in_place(const struct section *s, uint32_t i)
{
    uint32_t prot = pe_page_protection(s->info, i * (uint32_t)PAGE_SIZE);
    return (prot & (NTK_PAGE_READWRITE | NTK_PAGE_EXECUTE_READWRITE)) != 0;
}

/* Page i of a data (read from its file) or paging-file (zeroed) section,
 * into a frame that is never trimmed (see the top of this file). */
static ntk_status page_in_mapped(struct section *s, uint32_t i, uint64_t *proto,
                                 uint64_t *frame, enum section_how *how)
{
    uint64_t pa = pfn_alloc(USE_MAPPED, s->kind == SECTION_PAGEFILE);
    if (!pa)
        return NTK_STATUS_NO_MEMORY;
    if (s->kind == SECTION_DATA) {
        ntk_status st = mapped_page_in(s, i, pa);
        if (!NTK_SUCCESS(st)) {
            pfn_free(pa);
            return st;
        }
    }
    mapped_stats.resident++;
    *proto = pa | PROTO_VALID;
    pfn_set_pte(pa, V2P(proto));
    pfn_keep(pa);
    *frame = pa;
    *how = s->kind == SECTION_DATA ? SECTION_FILE : SECTION_ZERO;
    return NTK_STATUS_SUCCESS;
}

ntk_status section_page(struct section *s, uint32_t i, uint64_t *frame,
                        enum section_how *how)
{
    KASSERT(i < s->npages);
    uint64_t *proto = section_proto(s, i);
    if (!proto)
        return NTK_STATUS_NO_MEMORY;
    if (*proto & PROTO_VALID) {
        *frame = PROTO_FRAME(*proto);
        *how = pfn_reclaim(*frame) ? SECTION_STANDBY : SECTION_RESIDENT;
        return NTK_STATUS_SUCCESS;
    }
    if (s->kind != SECTION_IMAGE)
        return page_in_mapped(s, i, proto, frame, how);
    uint32_t off, len;
    pe_page_source(s->info, i * (uint32_t)PAGE_SIZE, &off, &len);
    if (s->fail_page == i + 1)
        return NTK_STATUS_IN_PAGE_ERROR; /* fault injection (pageinfail=FILE:RVA) */
    uint64_t pa = pfn_alloc(USE_IMAGE, len == 0);
    if (!pa)
        return NTK_STATUS_NO_MEMORY;
    if (len) {
        ntk_status st = volume_read_page(&s->file, off, len, pa);
        if (!NTK_SUCCESS(st)) {
            pfn_free(pa);
            return st;
        }
        image_stats.page_ins++;
    }
    image_stats.resident++;
    *proto = pa | PROTO_VALID;
    pfn_set_pte(pa, V2P(proto));
    if (written_in_place(s, i))
        pfn_keep(pa);
    *frame = pa;
    *how = len ? SECTION_READ : SECTION_ZERO;
    return NTK_STATUS_SUCCESS;
}

/* The standby frame of this prototype entry is being reused: the page is
 * "not read" again. */
void section_discard(uint64_t entry_pa)
{
    uint64_t *proto = P2V(entry_pa);
    KASSERT(*proto & PROTO_VALID);
    *proto = 0;
    image_stats.resident--;
}

/* The pe_reader over the section's pages: the loader reads tables through
 * it (paging them in, as Windows's loader does through the mapped view). */
bool section_read(void *ctx, uint32_t rva, void *dst, uint32_t len)
{
    struct section_reader *r = ctx;
    uint8_t *d = dst;
    while (len) {
        uint64_t frame, in = rva % PAGE_SIZE;
        uint32_t n = PAGE_SIZE - in < len ? (uint32_t)(PAGE_SIZE - in) : len;
        enum section_how how;
        ntk_status st = section_page(r->section, rva / (uint32_t)PAGE_SIZE, &frame, &how);
        if (!NTK_SUCCESS(st)) {
            r->status = st;
            return false;
        }
        memcpy(d, (uint8_t *)P2V(frame) + in, n);
        pfn_release_unused(frame); /* read, not mapped: reusable again */
        d += n, rva += n, len -= n;
    }
    return true;
}

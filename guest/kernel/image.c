/*
 * image.c - the PE loader: a process from a PE32+ executable.
 *
 * Windows maps the EXE and ntdll.dll in the kernel and leaves the rest to
 * ntdll's loader in user mode; here the kernel does all of it (the
 * contract of issue 6, item 3):
 *   1. open the EXE's image section (section.c checks its headers) and
 *      create the process; without IMAGE_FILE_LARGE_ADDRESS_AWARE its
 *      allocations stay below 2 GB;
 *   2. map the EXE at its preferred base, then ntdll.dll and kernel32.dll
 *      (every PE process has both), then each DLL an import names (found on
 *      the volume by name) - each as a view of its section (vm_map_image):
 *      nothing is read from the file but what the loader touches;
 *   3. per module in load order: check the base relocations, applying them
 *      when the module is not at its preferred base; check the exports;
 *      resolve the imports by name and by ordinal and write the IAT;
 *      relocated pages and IAT pages become private copies (copy-on-write);
 *   4. the PEB's ImageBaseAddress and ProcessParameters, the user-mode
 *      exception dispatcher (ntdll's KiUserExceptionDispatcher), and the
 *      first thread at the entry point with the header's stack sizes.
 * Any failure undoes the process and returns the status (with one console
 * line naming the file and the problem).  No DLL entry point is called.
 */
#include "guest/kernel/kernel.h"
#include "shared/nt/images.h"
#include "shared/nt/process.h"

#define MAX_MODULES 16

struct module {
    struct section *s;
    uint64_t base;
    bool relocated;
};

struct load {
    struct process *p;
    struct module mod[MAX_MODULES];
    unsigned n;
    struct module *current;         /* whose imports are being resolved */
    struct module *ntdll;
    bool reported;                  /* a console line already says what failed */
    ntk_status io;                  /* an in-page error while reading tables */
};

/* Reading a module's tables goes through its section's pages. */
struct table_reader {
    struct section_reader sr;
    struct pe_reader r;
};

static void reader_init(struct table_reader *t, struct section *s)
{
    t->sr.section = s;
    t->sr.status = NTK_STATUS_SUCCESS;
    t->r.ctx = &t->sr;
    t->r.read = section_read;
}

/* The status of a failed walk: an in-page error is the disk's, not the
 * image's; otherwise the walk's, reported on the console. */
static ntk_status walk_failed(struct section *s, const struct table_reader *t,
                              const struct pe_error *e)
{
    if (!NTK_SUCCESS(t->sr.status))
        return t->sr.status;
    if (e->status == NTK_STATUS_INVALID_IMAGE_FORMAT)
        section_report(s, e);
    return e->status;
}

/* ---- mapping ---------------------------------------------------------------- */

static ntk_status map_module(struct load *l, struct section *s, struct module **out)
{
    if (l->n == MAX_MODULES)
        return NTK_STATUS_INSUFFICIENT_RESOURCES;
    struct module *m = &l->mod[l->n];
    m->s = s;
    m->base = s->info->image_base;
    ntk_status st = vm_map_image(l->p, s, &m->base);
    if (!NTK_SUCCESS(st))
        return st;
    m->relocated = st == NTK_STATUS_IMAGE_NOT_AT_BASE;
    if (m->relocated && (s->info->characteristics & PE_FILE_RELOCS_STRIPPED)) {
        kprintf("image %s: its base 0x%llx is taken and it has no relocations\n",
                s->file.name, (unsigned long long)s->info->image_base);
        return (s->info->characteristics & PE_FILE_DLL) ? NTK_STATUS_ILLEGAL_DLL_RELOCATION
                                                        : NTK_STATUS_CONFLICTING_ADDRESSES;
    }
    l->n++;
    *out = m;
    return NTK_STATUS_SUCCESS;
}

/* The module called name, mapping it from the volume if it is not yet. */
static ntk_status find_dll(struct load *l, const char *name, struct module **out)
{
    for (unsigned i = 0; i < l->n; i++)
        if (volume_same_name(l->mod[i].s->file.name, name)) {
            *out = &l->mod[i];
            return NTK_STATUS_SUCCESS;
        }
    struct section *s;
    ntk_status st = section_open(name, &s);
    if (st == NTK_STATUS_OBJECT_NAME_NOT_FOUND) {
        kprintf("image %s: %s not found\n", l->current ? l->current->s->file.name : "-",
                name);
        l->reported = true;
        return NTK_STATUS_DLL_NOT_FOUND;
    }
    if (!NTK_SUCCESS(st))
        return st;
    if (!(s->info->characteristics & PE_FILE_DLL)) {
        kprintf("image %s: not a DLL (FileHeader.Characteristics 0x%x)\n", s->file.name,
                s->info->characteristics);
        st = NTK_STATUS_INVALID_IMAGE_FORMAT;
    } else {
        st = map_module(l, s, out);
    }
    section_deref(s); /* the view holds its own reference */
    return st;
}

/* ---- relocations -------------------------------------------------------------- */

struct reloc_ctx {
    struct load *l;
    struct module *m;
    struct table_reader *t;
};

/* Add the delta to the 64-bit value at rva: the original comes from the
 * section, the result goes to the view (a private copy of the page). */
static ntk_status fix_dir64(void *ctx, uint32_t rva)
{
    struct reloc_ctx *c = ctx;
    uint64_t v;
    if (!section_read(&c->t->sr, rva, &v, 8))
        return c->t->sr.status;
    v += c->m->base - c->m->s->info->image_base;
    return vm_write_process(c->l->p, c->m->base + rva, &v, 8);
}

/* Apply the relocations if the module is not at its base; check them (and
 * the exports) the first time the section is mapped: the file does not
 * change while it is. */
static ntk_status relocate_and_check(struct load *l, struct module *m)
{
    struct table_reader t;
    struct pe_error e;
    struct reloc_ctx c = { l, m, &t };
    if (m->s->tables_checked && !m->relocated)
        return NTK_STATUS_SUCCESS;
    reader_init(&t, m->s);
    if (pe_walk_relocations(m->s->info, &t.r, m->relocated ? fix_dir64 : NULL, &c, &e) ||
        pe_check_exports(m->s->info, &t.r, &e))
        return walk_failed(m->s, &t, &e);
    m->s->tables_checked = true;
    return NTK_STATUS_SUCCESS;
}

/* ---- imports and exports ------------------------------------------------------ */

static ntk_status resolve(void *ctx, const struct pe_import *imp)
{
    struct load *l = ctx;
    struct module *dll;
    ntk_status st = find_dll(l, imp->dll, &dll);
    if (!NTK_SUCCESS(st))
        return st;
    struct table_reader t;
    struct pe_error e;
    uint32_t rva;
    reader_init(&t, dll->s);
    if (pe_find_export(dll->s->info, &t.r, imp->name, imp->ordinal, &rva, &e)) {
        st = walk_failed(dll->s, &t, &e);
        l->reported = true;
        if (st == NTK_STATUS_ENTRYPOINT_NOT_FOUND || st == NTK_STATUS_ORDINAL_NOT_FOUND) {
            kprintf("image %s: %s has no export ", l->current->s->file.name, imp->dll);
            if (imp->name)
                kprintf("%s\n", imp->name);
            else
                kprintf("#%u\n", imp->ordinal);
        }
        return st;
    }
    uint64_t address = dll->base + rva;
    return vm_write_process(l->p, l->current->base + imp->iat_rva, &address, 8);
}

static ntk_status link_module(struct load *l, struct module *m)
{
    struct table_reader t;
    struct pe_error e;
    ntk_status st = relocate_and_check(l, m);
    if (!NTK_SUCCESS(st))
        return st;
    reader_init(&t, m->s);
    l->current = m;
    l->reported = false;
    if (pe_walk_imports(m->s->info, &t.r, resolve, l, &e))
        return l->reported ? e.status : walk_failed(m->s, &t, &e);
    return NTK_STATUS_SUCCESS;
}

/* ---- the process environment ------------------------------------------------- */

static uint64_t widen(uint16_t *dst, const char *src)
{
    uint64_t n = 0;
    for (; src[n]; n++)
        dst[n] = (uint8_t)src[n];
    dst[n] = 0;
    return n;
}

/* RTL_USER_PROCESS_PARAMETERS (shared/nt/process.h) in a page of its own. */
static ntk_status write_parameters(struct process *p, const char *image, const char *cmdline)
{
    uint64_t at = 0, size = PAGE_SIZE;
    ntk_status st = vm_allocate(p, &at, &size, NTK_MEM_RESERVE | NTK_MEM_COMMIT | NTK_MEM_TOP_DOWN,
                                NTK_PAGE_READWRITE, VAD_SYSTEM);
    if (!NTK_SUCCESS(st))
        return st;
    uint64_t page = pfn_alloc(USE_VOLUME, true);
    if (!page)
        return NTK_STATUS_NO_MEMORY;
    uint8_t *b = P2V(page);
    uint16_t *path = (uint16_t *)(b + NTK_PARAMS_SIZE);
    uint64_t plen = widen(path, image);
    uint16_t *cmd = path + plen + 1;
    uint64_t clen = widen(cmd, cmdline);
    struct ntk_unicode_string u = { (uint16_t)(plen * 2), (uint16_t)(plen * 2 + 2), 0,
                                    at + NTK_PARAMS_SIZE };
    memcpy(b + NTK_PARAMS_IMAGE_PATH_NAME, &u, sizeof u);
    u.length = (uint16_t)(clen * 2);
    u.maximum_length = (uint16_t)(clen * 2 + 2);
    u.buffer = at + NTK_PARAMS_SIZE + (plen + 1) * 2;
    memcpy(b + NTK_PARAMS_COMMAND_LINE, &u, sizeof u);
    uint32_t len = NTK_PARAMS_SIZE, flags = NTK_PARAMS_NORMALIZED;
    memcpy(b + NTK_PARAMS_MAXIMUM_LENGTH, &len, 4);
    memcpy(b + NTK_PARAMS_LENGTH, &len, 4);
    memcpy(b + NTK_PARAMS_FLAGS, &flags, 4);
    st = vm_write_process(p, at, b, PAGE_SIZE);
    pfn_free(page);
    if (NTK_SUCCESS(st))
        st = vm_write_process(p, p->peb + NTK_PEB_PROCESS_PARAMETERS, &at, 8);
    return st;
}

static uint16_t image_flags(const struct pe_info *info)
{
    uint16_t f = IMAGE_FLAG_PE;
    if (info->characteristics & PE_FILE_LARGE_ADDRESS_AWARE)
        f |= IMAGE_FLAG_LARGE_ADDRESS_AWARE;
    if (info->dll_characteristics & PE_DLLCHAR_NX_COMPAT)
        f |= IMAGE_FLAG_NX_COMPAT;
    if (info->dll_characteristics & PE_DLLCHAR_DYNAMIC_BASE)
        f |= IMAGE_FLAG_DYNAMIC_BASE;
    return f;
}

/* Map and link everything, fill the PEB: the process is ready to start. */
static ntk_status load(struct load *l, struct section *exe, const struct process_args *a)
{
    struct module *m;
    ntk_status st = map_module(l, exe, &m);
    if (NTK_SUCCESS(st))
        st = find_dll(l, NTK_NTDLL_NAME, &l->ntdll);
    if (NTK_SUCCESS(st))
        st = find_dll(l, NTK_KERNEL32_NAME, &m);
    for (unsigned i = 0; i < l->n && NTK_SUCCESS(st); i++) /* l->n grows with imports */
        st = link_module(l, &l->mod[i]);
    if (!NTK_SUCCESS(st))
        return st;
    struct process *p = l->p;
    struct table_reader t;
    struct pe_error e;
    uint32_t rva;
    reader_init(&t, l->ntdll->s);
    if (!pe_find_export(l->ntdll->s->info, &t.r, NTK_DISPATCHER_EXPORT, 0, &rva, &e))
        p->dispatcher = l->ntdll->base + rva;
    p->image_base = l->mod[0].base;
    p->entry = l->mod[0].base + exe->info->entry;
    st = vm_write_process(p, p->peb + NTK_PEB_IMAGE_BASE_ADDRESS, &p->image_base, 8);
    if (NTK_SUCCESS(st))
        st = write_parameters(p, a->image, a->cmdline ? a->cmdline : a->image);
    return st;
}

ntk_status image_create_process(const struct process_args *a, uint32_t parent_pid,
                                struct process **pp, struct thread **tp)
{
    struct section *exe;
    ntk_status st = section_open(a->image, &exe);
    if (!NTK_SUCCESS(st))
        return st;
    const struct pe_info *info = exe->info;
    if (info->characteristics & PE_FILE_DLL) {
        kprintf("image %s: a DLL, not a program\n", exe->file.name);
        section_deref(exe);
        return NTK_STATUS_INVALID_IMAGE_FORMAT;
    }
    uint16_t flags = image_flags(info);
    struct process *p = process_create(a->image, parent_pid,
                                       (flags & IMAGE_FLAG_LARGE_ADDRESS_AWARE)
                                           ? 0 : NTK_NOT_LAA_LIMIT);
    if (!p) {
        section_deref(exe);
        return NTK_STATUS_INSUFFICIENT_RESOURCES;
    }
    p->image_flags = flags;
    struct load l = { .p = p };
    st = load(&l, exe, a);
    if (NTK_SUCCESS(st))
        st = process_start(p, info->stack_commit, info->stack_reserve, tp);
    section_deref(exe); /* the view keeps the section */
    if (!NTK_SUCCESS(st)) {
        process_abandon(p);
        return st;
    }
    *pp = p;
    return NTK_STATUS_SUCCESS;
}

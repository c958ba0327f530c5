/*
 * elf.c - opening, loading and symbol look-up of a kernel image (see elf.h).
 * Validation lives in elf_check.c.
 */
#include <gelf.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader/elf_internal.h"
#include "loader/file.h"

#define X "0x%" PRIx64

/* Take ownership of bytes and validate them; on failure free everything. */
static bool open_bytes(struct elf_image *img, uint8_t *bytes, size_t size, const char *name,
                       struct loader_error *err)
{
    if (!name)
        name = "(ELF image in memory)";
    *img = (struct elf_image){ .bytes = bytes, .size = size, .name = strdup(name) };
    if (!img->name) {
        free(bytes);
        return loader_fail(err, name, "out of memory");
    }
    elf_version(EV_CURRENT);
    bool ok = elf_check(img, err);
    /* Only a file that passed every check reaches libelf (see elf_check.c). */
    if (ok && !(img->elf = elf_memory((char *)img->bytes, img->size)))
        ok = loader_fail(err, name, "libelf cannot read the file: %s", elf_errmsg(-1));
    if (!ok)
        elf_image_close(img);
    return ok;
}

bool elf_image_open(struct elf_image *img, const char *path, struct loader_error *err)
{
    uint8_t *bytes;
    size_t size;
    *img = (struct elf_image){ 0 };
    if (!loader_read_file(path, &bytes, &size, err))
        return false;
    return open_bytes(img, bytes, size, path, err);
}

bool elf_image_open_mem(struct elf_image *img, const void *buf, size_t len, const char *name,
                        struct loader_error *err)
{
    *img = (struct elf_image){ 0 };
    /* A private copy: libelf wants a writable buffer, the caller's may be read-only. */
    uint8_t *bytes = malloc(len ? len : 1);
    if (!bytes)
        return loader_fail(err, name, "out of memory copying %zu bytes", len);
    if (len)
        memcpy(bytes, buf, len);
    return open_bytes(img, bytes, len, name, err);
}

/* "16 MiB" when it is a whole number of MiB, else the byte count. */
static const char *size_text(uint64_t n, char *buf, size_t len)
{
    if (n && n % (1u << 20) == 0)
        snprintf(buf, len, "%" PRIu64 " MiB", n >> 20);
    else
        snprintf(buf, len, "%" PRIu64 " bytes", n);
    return buf;
}

bool elf_image_load(const struct elf_image *img, uint8_t *ram, uint64_t ram_size,
                    struct loader_error *err)
{
    for (unsigned i = 0; i < img->nsegments; i++) {
        const struct elf_segment *s = &img->seg[i];
        if (s->paddr <= ram_size && s->memsz <= ram_size - s->paddr)
            continue;
        char sz[32];
        return loader_fail(err, img->name, "program header %u (offset " X "): physical range ["
                           X ", " X ") lies outside guest RAM [0, " X ") (%s)", s->phdr,
                           img->phoff + (uint64_t)s->phdr * sizeof(Elf64_Phdr), s->paddr,
                           s->paddr + s->memsz, ram_size, size_text(ram_size, sz, sizeof sz));
    }
    for (unsigned i = 0; i < img->nsegments; i++) {
        const struct elf_segment *s = &img->seg[i];
        memcpy(ram + s->paddr, img->bytes + s->offset, s->filesz);
        memset(ram + s->paddr + s->filesz, 0, s->memsz - s->filesz);
    }
    return true;
}

bool elf_image_symbol(const struct elf_image *img, const char *name, uint64_t *value)
{
    Elf_Scn *scn = img->elf && img->symtab ? elf_getscn(img->elf, img->symtab) : NULL;
    GElf_Shdr sh;
    Elf_Data *data = scn && gelf_getshdr(scn, &sh) ? elf_getdata(scn, NULL) : NULL;
    if (!data)
        return false;
    size_t n = sh.sh_size / sizeof(Elf64_Sym);
    for (size_t i = 1; i < n; i++) { /* symbol 0 is the reserved undefined symbol */
        GElf_Sym sym;
        if (!gelf_getsym(data, (int)i, &sym) || sym.st_shndx == SHN_UNDEF)
            continue;
        const char *s = elf_strptr(img->elf, sh.sh_link, sym.st_name);
        if (s && strcmp(s, name) == 0) {
            *value = sym.st_value;
            return true;
        }
    }
    return false;
}

void elf_image_close(struct elf_image *img)
{
    if (img->elf)
        elf_end(img->elf);
    free(img->bytes);
    free(img->name);
    *img = (struct elf_image){ 0 };
}

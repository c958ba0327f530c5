/*
 * file.c - files of the data volume: file objects and the services that
 * open, read, write and describe them (NtCreateFile, NtOpenFile,
 * NtReadFile, NtWriteFile, NtQueryInformationFile, NtSetInformationFile).
 *
 * The data volume is flat and its files have fixed sizes: a name is found
 * by its base name (what follows the last '\', '/' or ':'), case-
 * insensitively; files are never created, truncated or extended (a
 * disposition that would is STATUS_NOT_SUPPORTED; a write past the end of a
 * file is STATUS_DISK_FULL and writes nothing).  A file whose archive mode
 * has no write permission is read-only (FILE_ATTRIBUTE_READONLY): opening
 * it for writing is STATUS_ACCESS_DENIED.
 *
 * A file object (OBJ_FILE) is one open: its granted access, share mode and
 * file pointer; every open of a file shares the file's data section
 * (mapped.c), which holds the share-access counts and the file's pages that
 * are in memory.  I/O is synchronous.  A read or write of a page that is in
 * memory (a view touched it) reads or changes that frame, so views and
 * ReadFile/WriteFile agree; writes also go to the disk at once (write-
 * through, sector by sector), pages that are not in memory come from and go
 * to the disk directly.
 */
#include "guest/kernel/kernel.h"

#define CHUNK 512u /* bytes moved through the kernel stack at a time */
#define READS (NTK_FILE_READ_DATA | NTK_FILE_EXECUTE)
#define WRITES (NTK_FILE_WRITE_DATA | NTK_FILE_APPEND_DATA)

struct open_args {
    uint64_t handle, attributes, iosb;
    uint32_t access, share, disposition;
};

static const char *base_of(const char *path)
{
    const char *b = path;
    for (const char *c = path; *c; c++)
        if (*c == '\\' || *c == '/' || *c == ':')
            b = c + 1;
    return b;
}

/* The file a disposition finds, or why it cannot: files are never made,
 * truncated or replaced here. */
static ntk_status find(const char *name, uint32_t disposition, struct volume_file *f)
{
    bool exists = volume_find_data(name, f);
    switch (disposition) {
    case NTK_FILE_OPEN:
    case NTK_FILE_OPEN_IF:
        return exists ? NTK_STATUS_SUCCESS
                      : disposition == NTK_FILE_OPEN ? NTK_STATUS_OBJECT_NAME_NOT_FOUND
                                                     : NTK_STATUS_NOT_SUPPORTED;
    case NTK_FILE_CREATE:
        return exists ? NTK_STATUS_OBJECT_NAME_COLLISION : NTK_STATUS_NOT_SUPPORTED;
    case NTK_FILE_OVERWRITE:
        return exists ? NTK_STATUS_NOT_SUPPORTED : NTK_STATUS_OBJECT_NAME_NOT_FOUND;
    }
    return NTK_STATUS_NOT_SUPPORTED; /* FILE_SUPERSEDE, FILE_OVERWRITE_IF */
}

/* Whether this open may share the file with those before it (NT's
 * IoCheckShareAccess, without delete access): opens that neither read nor
 * write do not take part. */
static bool share_ok(const struct share_access *sa, uint32_t access, uint32_t share)
{
    bool reads = access & READS, writes = access & WRITES;
    if (!(reads || writes) || !sa->opens)
        return true;
    return !(reads && sa->shared_read < sa->opens) && !(writes && sa->shared_write < sa->opens) &&
           !(!(share & NTK_FILE_SHARE_READ) && sa->readers) &&
           !(!(share & NTK_FILE_SHARE_WRITE) && sa->writers);
}

static void share_update(struct share_access *sa, uint32_t access, uint32_t share, int by)
{
    bool reads = access & READS, writes = access & WRITES;
    if (!(reads || writes))
        return;
    sa->opens += (uint32_t)by;
    sa->readers += reads ? (uint32_t)by : 0;
    sa->writers += writes ? (uint32_t)by : 0;
    sa->shared_read += (share & NTK_FILE_SHARE_READ) ? (uint32_t)by : 0;
    sa->shared_write += (share & NTK_FILE_SHARE_WRITE) ? (uint32_t)by : 0;
}

/* Checks of the open itself, once the file is found. */
static ntk_status may_open(const struct volume_file *vf, uint32_t access)
{
    if (!(access & WRITES))
        return NTK_STATUS_SUCCESS;
    if (!volume_writable(vf->vol))
        return NTK_STATUS_MEDIA_WRITE_PROTECTED;
    return (vf->mode & 0222) ? NTK_STATUS_SUCCESS : NTK_STATUS_ACCESS_DENIED;
}

static ntk_status open_file(const struct open_args *o)
{
    struct object_name on;
    struct volume_file vf;
    struct ntk_io_status_block io = { 0 };
    ntk_status st = put_u64(o->handle, 0);
    if (!NTK_SUCCESS(st) || !NTK_SUCCESS(st = copy_to_user(o->iosb, &io, sizeof io)))
        return st;
    if (o->disposition > NTK_FILE_OVERWRITE_IF ||
        (o->share & ~(NTK_FILE_SHARE_READ | NTK_FILE_SHARE_WRITE | NTK_FILE_SHARE_DELETE)))
        return NTK_STATUS_INVALID_PARAMETER;
    if (!NTK_SUCCESS(st = object_name_get(o->attributes, true, &on)))
        return st;
    if (!*base_of(on.text))
        return NTK_STATUS_OBJECT_NAME_INVALID;
    uint32_t access = access_map_generic(OBJ_FILE, o->access);
    struct section *s;
    if (!NTK_SUCCESS(st = find(base_of(on.text), o->disposition, &vf)) ||
        !NTK_SUCCESS(st = may_open(&vf, access)) ||
        !NTK_SUCCESS(st = data_section_get(&vf, &s)))
        return st;
    struct file *f = kalloc(sizeof *f);
    if (!share_ok(&s->share, access, o->share) || !f) {
        section_deref(s);
        kfree(f);
        return f ? NTK_STATUS_SHARING_VIOLATION : NTK_STATUS_INSUFFICIENT_RESOURCES;
    }
    f->obj.type = OBJ_FILE;
    f->obj.refs = 1;
    f->s = s;
    f->access = access;
    f->share = o->share;
    share_update(&s->share, access, o->share, 1);
    uint64_t h;
    st = handle_create(current->proc, &f->obj, &h);
    object_deref(&f->obj); /* the handle holds it now (or nothing does) */
    if (!NTK_SUCCESS(st))
        return st;
    io.information = NTK_FILE_OPENED;
    if (!NTK_SUCCESS(st = put_u64(o->handle, h)) ||
        !NTK_SUCCESS(st = copy_to_user(o->iosb, &io, sizeof io)))
        handle_close(current->proc, h);
    return st;
}

void file_destroy(struct file *f)
{
    share_update(&f->s->share, f->access, f->share, -1);
    section_deref(f->s);
    kfree(f);
}

/* NtCreateFile(*File, DesiredAccess, ObjectAttributes, IoStatusBlock,
 *              AllocationSize, FileAttributes, ShareAccess, CreateDisposition,
 *              CreateOptions, EaBuffer, EaLength): AllocationSize,
 *              FileAttributes, CreateOptions and the EAs have nothing to act
 *              on and are ignored. */
ntk_status svc_create_file(struct trapframe *tf, const uint64_t *a)
{
    (void)tf;
    struct open_args o = { a[0], a[2], a[3], (uint32_t)a[1], (uint32_t)a[6], (uint32_t)a[7] };
    return open_file(&o);
}

/* NtOpenFile(*File, DesiredAccess, ObjectAttributes, IoStatusBlock,
 *            ShareAccess, OpenOptions) */
ntk_status svc_open_file(struct trapframe *tf, const uint64_t *a)
{
    (void)tf;
    struct open_args o = { a[0], a[2], a[3], (uint32_t)a[1], (uint32_t)a[4], NTK_FILE_OPEN };
    return open_file(&o);
}

/* ---- reading and writing ----------------------------------------------------- */

/* The file object behind h, +ref, if its open granted some of need (0:
 * any open will do). */
static ntk_status file_arg(uint64_t h, uint32_t need, struct file **out)
{
    struct object *o;
    ntk_status st = handle_reference(current->proc, h, OBJ_FILE, 0, &o);
    if (!NTK_SUCCESS(st))
        return st;
    *out = (struct file *)o;
    if (need && !((*out)->access & need)) {
        object_deref(o);
        return NTK_STATUS_ACCESS_DENIED;
    }
    return NTK_STATUS_SUCCESS;
}

/* Bytes to move from off at most, so that a piece stays in one page and
 * in the stack buffer. */
static uint64_t piece(uint64_t off, uint64_t left)
{
    uint64_t n = PAGE_SIZE - off % PAGE_SIZE;
    n = n < CHUNK ? n : CHUNK;
    return n < left ? n : left;
}

static ntk_status read_bytes(struct section *s, uint64_t off, uint64_t ubuf, uint64_t n)
{
    uint8_t buf[CHUNK];
    for (uint64_t done = 0, k; done < n; done += k, off += k) {
        k = piece(off, n - done);
        uint64_t frame = section_resident(s, (uint32_t)(off / PAGE_SIZE));
        const void *src = frame ? (uint8_t *)P2V(frame) + off % PAGE_SIZE : buf;
        ntk_status st = frame ? NTK_STATUS_SUCCESS : volume_read(&s->file, off, buf, k);
        if (!NTK_SUCCESS(st))
            return NTK_STATUS_DEVICE_DATA_ERROR;
        if (!NTK_SUCCESS(st = copy_to_user(ubuf + done, src, k)))
            return st;
    }
    return NTK_STATUS_SUCCESS;
}

static ntk_status write_bytes(struct section *s, uint64_t off, uint64_t ubuf, uint64_t n)
{
    uint8_t buf[CHUNK];
    for (uint64_t done = 0, k; done < n; done += k, off += k) {
        k = piece(off, n - done);
        ntk_status st = copy_from_user(buf, ubuf + done, k);
        if (!NTK_SUCCESS(st))
            return st;
        uint64_t frame = section_resident(s, (uint32_t)(off / PAGE_SIZE));
        if (frame)
            memcpy((uint8_t *)P2V(frame) + off % PAGE_SIZE, buf, k);
        if (!NTK_SUCCESS(st = volume_write(&s->file, off, buf, k)))
            return st == NTK_STATUS_MEDIA_WRITE_PROTECTED ? st : NTK_STATUS_DEVICE_DATA_ERROR;
    }
    return NTK_STATUS_SUCCESS;
}

/* Where a read or write starts: *ByteOffset, or the file pointer. */
static ntk_status start_of(const struct file *f, uint64_t uoffset, bool write, uint64_t *off)
{
    *off = f->position;
    if (!uoffset)
        return NTK_STATUS_SUCCESS;
    uint64_t v;
    ntk_status st = get_u64(uoffset, &v);
    if (!NTK_SUCCESS(st))
        return st;
    if (v == NTK_FILE_USE_FILE_POINTER_POSITION)
        return NTK_STATUS_SUCCESS;
    if (write && v == NTK_FILE_WRITE_TO_END_OF_FILE) {
        *off = f->s->size;
        return NTK_STATUS_SUCCESS;
    }
    if ((int64_t)v < 0)
        return NTK_STATUS_INVALID_PARAMETER;
    *off = v;
    return NTK_STATUS_SUCCESS;
}

/* NtReadFile / NtWriteFile(File, Event, ApcRoutine, ApcContext, IoStatusBlock,
 * Buffer, Length, ByteOffset, Key): synchronous; the file pointer ends up
 * after the bytes moved. */
static ntk_status transfer(const uint64_t *a, bool write)
{
    struct ntk_io_status_block io = { 0 };
    ntk_status st = copy_to_user(a[4], &io, sizeof io);
    if (!NTK_SUCCESS(st))
        return st;
    if (a[1] || a[2] || a[3])
        return NTK_STATUS_NOT_SUPPORTED; /* events and APCs: asynchronous I/O */
    struct file *f;
    uint64_t off, len = (uint32_t)a[6];
    if (!NTK_SUCCESS(st = file_arg(a[0], write ? WRITES : NTK_FILE_READ_DATA, &f)))
        return st;
    if (NTK_SUCCESS(st = start_of(f, a[7], write, &off)) && len) {
        uint64_t size = f->s->size;
        if (write && (off > size || len > size - off))
            st = NTK_STATUS_DISK_FULL; /* files keep their sizes */
        else if (!write && off >= size)
            st = NTK_STATUS_END_OF_FILE;
        else
            len = len < size - off ? len : size - off;
        if (NTK_SUCCESS(st))
            st = write ? write_bytes(f->s, off, a[5], len) : read_bytes(f->s, off, a[5], len);
        if (NTK_SUCCESS(st)) {
            f->position = off + len;
            io.information = len;
        }
    }
    object_deref(&f->obj);
    io.status = st;
    ntk_status put = copy_to_user(a[4], &io, sizeof io);
    return NTK_SUCCESS(put) ? st : put;
}

ntk_status svc_read_file(struct trapframe *tf, const uint64_t *a)
{
    (void)tf;
    return transfer(a, false);
}

ntk_status svc_write_file(struct trapframe *tf, const uint64_t *a)
{
    (void)tf;
    return transfer(a, true);
}

/* ---- information ---------------------------------------------------------------- */

/* NtQueryInformationFile(File, IoStatusBlock, Information, Length, Class):
 * FileStandardInformation and FilePositionInformation. */
ntk_status svc_query_information_file(struct trapframe *tf, const uint64_t *a)
{
    (void)tf;
    uint32_t cls = (uint32_t)a[4]; /* a ULONG on the stack: its upper half is garbage */
    struct ntk_io_status_block io = { 0 };
    union {
        struct ntk_file_standard_information standard;
        struct ntk_file_position_information position;
    } info = { 0 };
    uint64_t n = cls == NTK_FILE_STANDARD_INFORMATION ? sizeof info.standard
                 : cls == NTK_FILE_POSITION_INFORMATION ? sizeof info.position : 0;
    struct file *f;
    ntk_status st = copy_to_user(a[1], &io, sizeof io);
    if (!NTK_SUCCESS(st) || !NTK_SUCCESS(st = file_arg(a[0], 0, &f)))
        return st;
    if (!n)
        st = NTK_STATUS_INVALID_INFO_CLASS;
    else if ((uint32_t)a[3] < n)
        st = NTK_STATUS_INFO_LENGTH_MISMATCH;
    if (NTK_SUCCESS(st) && cls == NTK_FILE_POSITION_INFORMATION) {
        info.position.current_byte_offset = (int64_t)f->position;
    } else if (NTK_SUCCESS(st)) {
        info.standard.allocation_size = (int64_t)PAGE_ROUND_UP(f->s->size);
        info.standard.end_of_file = (int64_t)f->s->size;
        info.standard.number_of_links = 1;
    }
    object_deref(&f->obj);
    if (NTK_SUCCESS(st) && NTK_SUCCESS(st = copy_to_user(a[2], &info, n))) {
        io.information = n;
        st = copy_to_user(a[1], &io, sizeof io);
    }
    return st;
}

/* NtSetInformationFile(File, IoStatusBlock, Information, Length, Class):
 * FilePositionInformation only (sizes are fixed). */
ntk_status svc_set_information_file(struct trapframe *tf, const uint64_t *a)
{
    (void)tf;
    struct ntk_io_status_block io = { 0 };
    struct file *f;
    int64_t pos = 0;
    ntk_status st = copy_to_user(a[1], &io, sizeof io);
    if (!NTK_SUCCESS(st) || !NTK_SUCCESS(st = file_arg(a[0], 0, &f)))
        return st;
    if ((uint32_t)a[4] != NTK_FILE_POSITION_INFORMATION) /* a ULONG: the low half only */
        st = NTK_STATUS_INVALID_INFO_CLASS;
    else if ((uint32_t)a[3] < sizeof pos)
        st = NTK_STATUS_INFO_LENGTH_MISMATCH;
    else if (NTK_SUCCESS(st = copy_from_user(&pos, a[2], sizeof pos)) && pos < 0)
        st = NTK_STATUS_INVALID_PARAMETER;
    if (NTK_SUCCESS(st))
        f->position = (uint64_t)pos;
    object_deref(&f->obj);
    return st;
}

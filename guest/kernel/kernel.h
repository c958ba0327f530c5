/*
 * kernel.h - what the kernel's files share: the memory layout, the objects
 * (processes, threads, VADs), and every file's public functions, grouped by
 * file.  One CPU: the kernel runs with interrupts disabled (IF = 0) except
 * where a file says otherwise, so nothing needs a lock.
 */
#ifndef KERNEL_H
#define KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest/lib/desc.h"
#include "guest/lib/lib.h"
#include "guest/lib/x86.h"
#include "shared/bootinfo.h"
#include "guest/kernel/pe.h"
#include "shared/nt/exception.h"
#include "shared/nt/file.h"
#include "shared/nt/memory.h"
#include "shared/nt/token.h"
#include "shared/nt/services.h"
#include "shared/nt/status.h"

/* ---- memory layout ------------------------------------------------------ */
#define PAGE_SIZE 0x1000ull
#define PAGE_SHIFT 12
#define PAGE_ROUND_DOWN(a) ((uint64_t)(a) & ~(PAGE_SIZE - 1))
#define PAGE_ROUND_UP(a) (((uint64_t)(a) + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1))
#define DMAP BOOT_DIRECT_MAP               /* all RAM, 2 MB pages */
#define P2V(pa) ((void *)((uint64_t)(pa) + DMAP))
#define V2P(va) ((uint64_t)(va) - DMAP)    /* direct-map addresses only */
#define KERNEL_VMA 0xffffffff80000000ull   /* the image (guest/kernel.ld) */
#define KSTACK_AREA 0xffffff0000000000ull  /* thread kernel stacks, with guard gaps */
#define KSTACK_PAGES 4                     /* 16 KB per thread */
#define KSTACK_SLOT (8 * PAGE_SIZE)        /* stack + unmapped guard below it */
#define KSTACK_SLOTS 1024
#define VOLUME_AREA 0xfffffe8000000000ull  /* the system volume, read at boot */
#define USER_TOP NTK_USER_PROBE_ADDRESS    /* first address past user space */

/* Segment selectors: KCODE, KDATA, UDATA, UCODE, UCODE32, TSS_SEL
 * (guest/lib/desc.h, the GDT cpu.c loads). */

#define VEC_TIMER 0x40
#define VEC_SPURIOUS 0xff
#define VEC_SYSCALL 0x100 /* in a trap frame: entered by SYSCALL */

/* What the entry stubs save: the general registers, then the hardware frame. */
struct trapframe {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss;
};

/* ---- objects ------------------------------------------------------------ */
struct thread;

/* A waitable object's header (NT's DISPATCHER_HEADER). */
enum object_type { OBJ_PROCESS = 1, OBJ_THREAD = 2, OBJ_FILE = 3, OBJ_SECTION = 4,
                   OBJ_TOKEN = 5, OBJ_EVENT = 6 /* the kernel's own, no handles */ };
struct object {
    enum object_type type;
    uint32_t refs;          /* handles + kernel references */
    bool signaled;
    struct thread *waiters; /* threads waiting on it (linked by wait_next) */
};

struct section;

/* A virtual address descriptor: one reservation, or one view of a section
 * (an image, MEM_IMAGE, or a data or paging-file section, MEM_MAPPED). */
#define VAD_SYSTEM 0x1u     /* placed by the system (PEB, TEB, machine range): no free */
#define VAD_STACK 0x2u      /* a thread's stack */
#define VAD_LARGE 0x4u      /* MEM_LARGE_PAGES: 2 MB pages (largepage.c), no PTEs */
#define VAD_HUGE 0x8u       /* with VAD_LARGE: 1 GB pages */
struct vad {
    struct vad *left, *right, *parent;
    int height;
    uint64_t start, end;        /* [start, end), page aligned */
    uint32_t alloc_protect;     /* AllocationProtect */
    uint32_t type;              /* NTK_MEM_PRIVATE or NTK_MEM_IMAGE */
    uint32_t flags;             /* VAD_* */
    uint64_t committed;         /* pages committed: this VAD's commit charge */
    uint64_t teb;               /* VAD_STACK: the owner's TEB (its StackLimit moves) */
    struct section *section;    /* a view: its section (a reference) */
    uint64_t first_page;        /* MEM_MAPPED: the section page at start */
    uint32_t section_protect;   /* MEM_MAPPED: the section object's protection */
};

/* A process's working set (ws.c): the virtual pages it has resident. */
struct ws {
    uint64_t **chunk;           /* pages of entries (page address | age), 512 each */
    uint32_t nchunks;
    uint32_t count;             /* entries in use */
    uint32_t hand;              /* the clock hand of aging and trimming */
    uint32_t min, max;          /* working-set minimum and maximum, pages */
    uint32_t flags;             /* NTK_QUOTA_LIMITS_HARDWS_*_ENABLE */
    uint32_t peak;              /* largest count so far */
    uint32_t faults;            /* page faults of the process (VM_COUNTERS) */
};

#define MAX_HANDLES 256
#define ACCESS_ALL 0xffffffffu  /* a handle the kernel made for the object's creator */
struct process {
    struct object obj;
    uint32_t pid, parent_pid;
    char name[32];
    uint64_t pml4;              /* physical address of the top-level table */
    struct vad *vads;           /* AVL tree root */
    uint64_t commit;            /* pages charged */
    uint64_t peb;
    uint64_t image_base, entry, dispatcher;
    uint64_t alloc_limit;       /* allocations end below (2 GB without LARGE_ADDRESS_AWARE) */
    uint16_t image_flags;       /* IMAGE_FLAG_*: what the EXE's header asked for */
    int32_t exit_status;
    bool terminating;
    unsigned nthreads;          /* not yet terminated */
    struct thread *threads;     /* linked by proc_next */
    struct object *handles[MAX_HANDLES]; /* handle h is slot h/4 - 1 */
    struct ws ws;               /* resident pages (ws.c) */
    uint64_t commit_peak;       /* largest commit so far, pages (VM_COUNTERS) */
    uint64_t vsize, vsize_peak; /* bytes reserved now and at most (VM_COUNTERS) */
    uint32_t access[MAX_HANDLES];        /* what each handle grants (ACCESS_MASK) */
    uint64_t privileges;        /* the token's: bit n = the privilege of LUID n held */
    uint64_t privileges_enabled;
};

#define IMAGE_FLAG_PE 0x1u
#define IMAGE_FLAG_LARGE_ADDRESS_AWARE 0x2u
#define IMAGE_FLAG_NX_COMPAT 0x4u
#define IMAGE_FLAG_DYNAMIC_BASE 0x8u

enum thread_state { TS_INIT, TS_READY, TS_RUNNING, TS_WAITING, TS_TERMINATED };
struct thread {
    struct object obj;
    uint32_t tid;
    enum thread_state state;
    struct process *proc;
    struct thread *proc_next;
    struct thread *run_next;        /* ready queue */
    struct thread *wait_next;       /* an object's waiters */
    struct object *waiting_on;
    ntk_status wait_status;
    uint64_t wake_time;             /* sleeps and timeouts: virtual ns, or 0 */
    struct thread *sleep_next;
    int priority;                   /* 1 normal, 0 the zero-page thread */
    bool user;                      /* runs user code (has a trap frame, TEB, FPU state) */
    bool terminate_pending;
    int32_t exit_status;
    uint64_t kstack_top, ksp;       /* kernel stack top; saved RSP while switched out */
    unsigned kstack_slot;
    uint64_t teb, stack_base, stack_low; /* user stack: [stack_low, stack_base) reserved */
    void (*kfunc)(void *);          /* kernel threads: the body */
    void *karg;
    uint8_t fpu[512] __attribute__((aligned(16))); /* FXSAVE image of the user state */
};

/* ---- panic.c ------------------------------------------------------------ */
__attribute__((noreturn, format(printf, 1, 2))) void panic(const char *fmt, ...);
__attribute__((noreturn)) void panic_trap(const char *why, const struct trapframe *tf);
#define KASSERT(c) ((c) ? (void)0 : panic("assertion failed: %s (%s:%d)", #c, __FILE__, __LINE__))

/* ---- cpu.c: GDT, TSS, IDT, control registers ---------------------------- */
void cpu_init(void);
void cpu_set_kernel_stack(uint64_t top);    /* TSS.RSP0 and the SYSCALL stack */
extern uint64_t cpu_syscall_stack;          /* read by syscall.S */

/* ---- trap.c ------------------------------------------------------------- */
void trap(struct trapframe *tf);
void trap_return_to_user(struct trapframe *tf); /* last checks before returning to CPL 3 */
extern const char trap_return[];            /* trap.S: pop a trapframe and IRETQ */

/* ---- pool.c: kernel heap (NT's nonpaged pool) --------------------------- */
void *kalloc(size_t n);    /* zeroed; NULL when out of memory */
void kfree(void *p);
uint64_t pool_bytes_in_use(void);

/* ---- pfn.c: the PFN database -------------------------------------------- */
enum pfn_state { PFN_FREE, PFN_ZEROED, PFN_ACTIVE, PFN_RESERVED, PFN_STANDBY, PFN_MODIFIED };
enum pfn_use { USE_NONE, USE_KERNEL, USE_PAGE_TABLE, USE_PRIVATE, USE_POOL, USE_STACK,
               USE_VOLUME, USE_IMAGE, USE_MAPPED, USE_LARGE };
void pfn_early_init(const struct boot_info *bi);
void pfn_init(const struct boot_info *bi);
void zero_page(uint64_t pa);
uint64_t early_alloc_page(void);            /* before pfn_init: a bump allocator */
uint64_t pfn_alloc(enum pfn_use use, bool zeroed); /* a frame's physical address, or 0 */
void pfn_free(uint64_t pa);
enum pfn_state pfn_state_of(uint64_t pa);
void pfn_counts(struct ntk_system_memory *m);
void pfn_set_commit_limit(void);
bool commit_charge(uint64_t pages);         /* false: the commit limit would be passed */
void commit_release(uint64_t pages);
void zero_page_thread(void *arg);
bool pfn_check(void);                       /* invariants of the lists (self-test) */
/* npages physically contiguous frames aligned to npages (a power of two)
 * from the free and zeroed lists, zeroed, active with use: the first one's
 * physical address, or 0 when no such run is free. */
uint64_t pfn_alloc_run(uint64_t npages, enum pfn_use use);
void pfn_free_run(uint64_t pa, uint64_t npages);
extern uint64_t pfn_demand_zero_faults;
/* Pageable frames (docs/paging.md): the entry that refers to a
 * frame (a PTE, or an image section's prototype entry), its paging-file
 * copy, who maps it; the standby and modified lists. */
uint64_t pfn_available(void);               /* free + zeroed + standby */
uint64_t pfn_modified_count(void);
void pfn_set_pte(uint64_t pa, uint64_t entry_pa);
bool pfn_slot(uint64_t pa, uint64_t *slot); /* the slot holding a copy, if any */
void pfn_set_slot(uint64_t pa, uint64_t slot);
void pfn_dirty(uint64_t pa);                /* the copy in the paging file is stale */
void pfn_keep(uint64_t pa);                 /* never trimmed (shared writable image page) */
bool pfn_kept(uint64_t pa);
enum pfn_use pfn_use_of(uint64_t pa);
void pfn_release(uint64_t pa, bool dirty);  /* an active page leaves its last mapping */
bool pfn_reclaim(uint64_t pa);              /* standby or modified -> active */
void pfn_share_add(uint64_t pa);            /* image frames: one more PTE maps it */
void pfn_share_drop(uint64_t pa);           /* one less; none left: to the standby list */
void pfn_release_unused(uint64_t pa);       /* an image frame read but not mapped */
uint32_t pfn_ws_index(uint64_t pa);         /* private frames: index in the working set */
void pfn_set_ws_index(uint64_t pa, uint32_t index);
uint64_t pfn_modified_head(void);           /* the oldest modified page, or 0 */
void pfn_written(uint64_t pa, uint64_t slot); /* modified -> standby, with its copy */
void pfn_requeue(uint64_t pa);              /* a failed write: to the modified list's end */
uint64_t pfn_drop_resident_slots(void);     /* active pages give their slots up */
void pfn_set_pagefile_pages(uint64_t pages); /* before pfn_set_commit_limit */

/* ---- pagefile.c: the paging file (disk 1) -------------------------------- */
void pagefile_init(const struct boot_info *bi);
uint64_t pagefile_pages(void);              /* slots (0: no paging file) */
bool pagefile_alloc(uint64_t *slot);
void pagefile_free(uint64_t slot);
void pagefile_mark_bad(uint64_t slot);      /* a write failed: never used again */
/* Read slot into frame pa for the page at va of process p (the fault
 * injection's key): STATUS_IN_PAGE_ERROR on a disk error. */
ntk_status pagefile_read(uint64_t slot, uint64_t pa, const struct process *p, uint64_t va);
bool pagefile_write(uint64_t slot, uint64_t pa);
struct pagefile_stats {
    uint64_t pages, in_use, reads, writes, read_errors, write_errors;
};
void pagefile_counts(struct pagefile_stats *s);

/* ---- ws.c: working sets --------------------------------------------------- */
#define WS_DEFAULT_MIN 50           /* pages, as Windows */
#define WS_DEFAULT_MAX 345
#define WS_FLOOR_MIN 20             /* a smaller minimum is raised to this */
#define WS_FLOOR_MAX 13             /* a smaller maximum is refused */
void ws_init(struct process *p);
bool ws_make_room(struct process *p);       /* before a page joins: false if impossible */
void ws_insert(struct process *p, uint64_t va, uint64_t frame);
void ws_remove(struct process *p, uint64_t va, uint64_t frame);
void ws_remove_range(struct process *p, uint64_t start, uint64_t end); /* one pass */
void ws_replace(struct process *p, uint64_t va, uint64_t frame); /* copy-on-write: new frame */
uint32_t ws_trim(struct process *p, uint32_t want, unsigned min_age, uint32_t floor);
void ws_age(struct process *p);
uint32_t ws_empty(struct process *p);
void ws_clear(struct process *p);           /* the address space is going: forget it all */
ntk_status ws_set_limits(struct process *p, uint64_t min, uint64_t max, uint32_t flags);
uint64_t ws_total_pages(void);              /* all processes */

/* ---- balance.c: memory pressure, the balance set manager ------------------ */
struct mm_limits {
    uint64_t reserve;   /* user faults wait below this many available pages */
    uint64_t low;       /* below: the balance set manager trims working sets */
    uint64_t goal;      /* it trims until available (+ modified) reach this */
    uint64_t plenty;    /* from here a working set may grow past its maximum */
    uint64_t modified_max; /* the modified page writer starts here */
    uint64_t ws_system_max; /* the largest working set (available at boot - 512) */
};
extern struct mm_limits mm_limits;
void balance_init(void);
void balance_set_manager(void *arg);        /* the thread */
void balance_pressure(void);                /* pfn.c: available or modified crossed a line */
void balance_pages_available(void);         /* pfn.c: pages became available */
bool mm_user_may_allocate(void);            /* above the kernel's reserve */
bool mm_wait_for_pages(void);               /* false: give up (nothing can free memory) */
bool mm_plentiful(void);

/* ---- mpw.c: the modified page writer -------------------------------------- */
void modified_page_writer(void *arg);       /* the thread */
bool mpw_has_work(void);
void mpw_wake(void);

/* Page faults by kind and paging activity (vm.c, ws.c): the statistics. */
struct paging_stats {
    uint64_t faults_transition, faults_pagefile, faults_image, faults_mapped;
    uint64_t trimmed, balance_runs, inpage_errors;
};
extern struct paging_stats paging_stats;

/* stats.c: counters for mmulab's --stats-json (shared/devices.h) */
void stats_init(void);
void stats_publish(void);

/* ---- pmap.c: page tables ------------------------------------------------ */
void pmap_init(const struct boot_info *bi);
void pmap_pfn_ready(void);
uint64_t pmap_create(void);                 /* a new PML4 with the kernel half */
void pmap_destroy(uint64_t pml4);           /* frees the user-half tables */
uint64_t *pmap_pte(uint64_t pml4, uint64_t va, bool create);
uint64_t pmap_next_table(uint64_t pml4, uint64_t va); /* first va >= va that may have a PTE */
void pmap_switch(uint64_t pml4);
void pmap_flush(uint64_t pml4, uint64_t va);  /* invalidate va if pml4 is live */
void pmap_kmap(uint64_t va, uint64_t pa, uint64_t flags); /* kernel half, 4 KB */
void pmap_kunmap(uint64_t va);
uint64_t pmap_current(void);
/* A 2 MB (level 2) or 1 GB (level 3) page at va -> pa in a user address
 * space; the empty tables it replaces are freed.  false: out of memory. */
bool pmap_map_large(uint64_t pml4, uint64_t va, uint64_t pa, int level, uint64_t flags);
uint64_t *pmap_large_entry(uint64_t pml4, uint64_t va, int level); /* or NULL */
extern uint64_t kernel_pml4;

/* ---- vad.c: AVL tree of VADs -------------------------------------------- */
void vad_insert(struct vad **root, struct vad *v);
void vad_remove(struct vad **root, struct vad *v);
struct vad *vad_find(struct vad *root, uint64_t va);       /* containing va */
struct vad *vad_next_after(struct vad *root, uint64_t va); /* lowest with end > va */
struct vad *vad_first(struct vad *root);
struct vad *vad_successor(struct vad *v);
struct vad *vad_predecessor(struct vad *v);
struct vad *vad_last(struct vad *root);
bool vad_range_free(struct vad *root, uint64_t start, uint64_t end);
bool vad_check(struct vad *root, unsigned *count);        /* AVL invariants */

/* ---- vm.c: the virtual-memory services and the page-fault handler -------- */
ntk_status vm_allocate(struct process *p, uint64_t *base, uint64_t *size, uint32_t type,
                       uint32_t protect, uint32_t vad_flags);
ntk_status vm_free(struct process *p, uint64_t *base, uint64_t *size, uint32_t type,
                   bool system);
ntk_status vm_protect(struct process *p, uint64_t *base, uint64_t *size, uint32_t protect,
                      uint32_t *old);
ntk_status vm_query(struct process *p, uint64_t va, struct ntk_memory_basic_information *mbi);
void vm_release_all(struct process *p);
/* Resolve a user-address fault: 0 resolved; else the exception code. */
enum { FAULT_READ = 0, FAULT_WRITE = 1, FAULT_EXECUTE = 8 };
ntk_status vm_fault(struct process *p, uint64_t va, int access, bool from_kernel);
ntk_status vm_write_process(struct process *p, uint64_t va, const void *src, uint64_t len);
ntk_status vm_map_image(struct process *p, struct section *s, uint64_t *base);
void vm_reserved(struct process *p, const struct vad *v); /* v joined p's tree: VM_COUNTERS */
/* A MEM_MAPPED view: npages of s from first_page, every PTE "ask the
 * section" with protect; *base 0 (the lowest free 64 KB-aligned range) or
 * a free 64 KB-aligned address.  vm_unmap_view takes any view down. */
ntk_status vm_map_view(struct process *p, struct section *s, uint64_t first_page,
                       uint64_t npages, uint32_t protect, uint32_t section_protect,
                       uint64_t *base);
void vm_unmap_view(struct process *p, struct vad *v);
bool vm_take_dirty(struct process *p, uint64_t va); /* a shared page's D bit, cleared */
uint32_t vm_view_page(const struct vad *v, uint64_t va); /* the section page at va */
ntk_status vm_physical_address(struct process *p, uint64_t va, uint64_t *pa);
/* Paging (the working sets, the PFN database): the PTE side. */
enum vm_trim { TRIM_DONE, TRIM_SKIP, TRIM_STALE };
enum vm_trim vm_trim_page(struct process *p, uint64_t va);
bool vm_test_clear_accessed(struct process *p, uint64_t va);
uint64_t vm_resident_frame(struct process *p, uint64_t va);
void vm_page_out(uint64_t entry_pa, uint64_t slot); /* a standby page was reused */
bool protection_valid(uint32_t protect);
/* The lowest (highest) free range of size aligned to align below p's
 * allocation limit, or 0. */
uint64_t vm_find_room(struct process *p, uint64_t size, uint64_t align, bool top_down);
uint64_t protection_pte_bits(uint32_t protect);

/* ---- usercopy.S --------------------------------------------------------- */
/* Copy to or from user space; STATUS_ACCESS_VIOLATION (or the guard-page or
 * stack-overflow status) if an address is bad.  Faults are resolved. */
ntk_status copy_from_user(void *dst, uint64_t src, uint64_t n);
ntk_status copy_to_user(uint64_t dst, const void *src, uint64_t n);
bool usercopy_fixup(struct trapframe *tf, ntk_status status);

/* ---- sched.c ------------------------------------------------------------ */
extern struct thread *current;
void sched_init(void);
void sched_ready(struct thread *t);         /* make t runnable */
void sched_yield(void);                     /* the current thread goes to the back */
void sched_block(void);                     /* the current thread waits (state set) */
void sched_timer_tick(bool from_user);
void sched_poll(void);                      /* at kernel boundaries: wake sleepers, slice */
void sched_start(void) __attribute__((noreturn));
uint64_t sched_switches(void);
uint64_t now_ns(void);

/* ---- thread.c ----------------------------------------------------------- */
struct thread *thread_create_kernel(struct process *p, void (*fn)(void *), void *arg, int prio);
ntk_status thread_create_user(struct process *p, uint64_t start, uint64_t arg,
                              uint64_t commit, uint64_t reserve, uint64_t rcx,
                              struct thread **out);
void thread_exit(int32_t status) __attribute__((noreturn));
void thread_terminate(struct thread *t, int32_t status);
void thread_reap(struct thread *t);
void thread_destroy(struct thread *t);
void thread_start_user(void *);             /* the first thing a user thread runs */
void swtch(uint64_t *save_rsp, uint64_t new_rsp);  /* switch.S */
extern const char thread_trampoline[];

/* ---- process.c ---------------------------------------------------------- */
extern struct process *system_process;
void process_init(void);
struct process *process_create(const char *name, uint32_t parent_pid, uint64_t alloc_limit);
ntk_status process_create_from_image(const char *image, const char *cmdline,
                                     uint32_t parent_pid, struct process **pp,
                                     struct thread **tp);
ntk_status process_start(struct process *p, uint64_t stack_commit, uint64_t stack_reserve,
                         struct thread **tp);
void process_abandon(struct process *p);
void process_terminate(struct process *p, int32_t status);
void process_thread_ended(struct process *p);
void process_destroy(struct process *p);
uint32_t cid_alloc(void *obj);              /* PIDs and TIDs: multiples of 4 */
void cid_free(uint32_t id);
void *cid_lookup(uint32_t id);
/* Live processes in PID order: *cursor starts at 0; NULL at the end. */
struct process *process_next(uint32_t *cursor);

/* ---- object.c / handle.c ------------------------------------------------- */
void object_ref(struct object *o);
void object_deref(struct object *o);
void object_signal(struct object *o);
ntk_status handle_create(struct process *p, struct object *o, uint64_t *h); /* ACCESS_ALL */
ntk_status handle_create_access(struct process *p, struct object *o, uint32_t access,
                                uint64_t *h);
/* The object behind h, +ref: STATUS_INVALID_HANDLE, STATUS_OBJECT_TYPE_MISMATCH
 * (type 0: any), or STATUS_ACCESS_DENIED if the handle lacks part of access. */
ntk_status handle_reference(struct process *p, uint64_t h, enum object_type type,
                            uint32_t access, struct object **out);
/* GENERIC_* bits of access turned into the object type's own rights. */
uint32_t access_map_generic(enum object_type type, uint32_t access);
ntk_status handle_close(struct process *p, uint64_t h);
void handle_close_all(struct process *p);
struct object *handle_get(struct process *p, uint64_t h, enum object_type type); /* +ref */

/* ---- wait.c ------------------------------------------------------------- */
ntk_status wait_object(struct object *o, uint64_t timeout_ns); /* UINT64_MAX: forever */
ntk_status wait_sleep(uint64_t ns);
void wait_wake_all(struct object *o);
void wait_abort(struct thread *t, ntk_status status); /* a terminated thread stops waiting */
void wait_timer_check(uint64_t now);
uint64_t wait_next_wake(void);               /* earliest sleeper deadline, or 0 */

/* ---- except.c ----------------------------------------------------------- */
void except_dispatch(struct trapframe *tf, ntk_status code, int nparams, uint64_t p0, uint64_t p1);
void except_dispatch3(struct trapframe *tf, ntk_status code, int nparams, uint64_t p0,
                      uint64_t p1, uint64_t p2);
ntk_status except_continue(struct trapframe *tf, uint64_t context);
void except_unhandled(struct process *p, const struct ntk_exception_record *r,
                      uint64_t rip) __attribute__((noreturn));
const char *except_name(ntk_status code);

/* ---- syscall.c ---------------------------------------------------------- */
void syscall_init(void);
void syscall_dispatch(struct trapframe *tf);
uint64_t syscall_count(void);

/* ---- disk.c, volume.c, loader.c ---------------------------------------- */
bool disk_read(unsigned disk, uint64_t lba, uint32_t count, uint64_t pa);
bool disk_write(unsigned disk, uint64_t lba, uint32_t count, uint64_t pa);
struct volume;              /* the system volume (disk 0) or the data volume (disk 2) */
struct volume_file {
    char name[64];          /* base name as stored */
    struct volume *vol;     /* the volume it is on */
    uint64_t offset;        /* of the contents in the archive (512-aligned) */
    uint64_t size;
    uint32_t mode;          /* the archive's permission bits (no 0222: read-only) */
};
void volume_init(const struct boot_info *bi);
bool volume_present(void);
struct volume *volume_data(void);           /* the data volume, or NULL */
bool volume_writable(const struct volume *v);
bool volume_find(const char *name, struct volume_file *f);      /* the system volume */
bool volume_find_data(const char *name, struct volume_file *f); /* the data volume */
bool volume_same_name(const char *a, const char *b); /* base names, any case */
/* len bytes at off into frame pa, the rest of the page zeroed (page-ins). */
ntk_status volume_read_page(const struct volume_file *f, uint64_t off, uint64_t len,
                            uint64_t pa);
/* len bytes of frame pa to the file at off (a page of it: write-back). */
ntk_status volume_write_page(const struct volume_file *f, uint64_t off, uint64_t len,
                             uint64_t pa);
ntk_status volume_read(const struct volume_file *f, uint64_t off, void *dst, uint64_t len);
ntk_status volume_write(const struct volume_file *f, uint64_t off, const void *src,
                        uint64_t len);
uint64_t volume_disk_reads(void);
void volume_counts(uint64_t *data_reads, uint64_t *data_writes);
void volume_use_builtin(const uint8_t *image, uint64_t size);
ntk_status loader_load(struct process *p, const struct volume_file *f);
bool loader_is_elf(const struct volume_file *f);

/* ---- section.c: sections (NT's control areas) ---------------------------- */
/* One per image file (SECTION_IMAGE), per data-volume file that is open or
 * mapped (SECTION_DATA: also the file's shared state, NT's FCB), per
 * paging-file-backed section (SECTION_PAGEFILE).  Each page has a prototype
 * entry: 0 not in memory; frame | PROTO_VALID resident in a shared frame,
 * | PROTO_MODIFIED when it differs from the file (data sections). */
enum section_kind { SECTION_IMAGE, SECTION_DATA, SECTION_PAGEFILE };
#define PROTO_VALID 1ull
#define PROTO_MODIFIED 2ull
struct share_access {           /* a data file's open file objects (IoCheckShareAccess) */
    uint32_t opens, readers, writers, shared_read, shared_write;
};
struct section {
    struct section *next;
    enum section_kind kind;
    struct volume_file file;    /* image, data: the file */
    uint32_t refs;              /* views, file and section objects, the loader */
    struct pe_info *info;       /* image: the checked headers */
    uint32_t npages;            /* pages with prototype entries */
    uint32_t ndir;
    uint64_t *dir;              /* frames of prototype entries (512 each) */
    uint32_t fail_page;         /* fault injection: page + 1 (pageinfail=FILE:RVA) */
    bool tables_checked;        /* relocations and exports: checked once */
    uint64_t size;              /* data: the file's bytes; paging file: the section's */
    uint64_t charge;            /* paging file: pages charged to the commit limit */
    struct share_access share;  /* data */
};
struct image_stats {
    uint64_t page_ins, cow_copies, resident, sections;
};
struct section_reader {         /* ctx of section_read */
    struct section *section;
    ntk_status status;          /* why a read failed */
};
ntk_status section_open(const char *name, struct section **out); /* an image */
struct section *section_new(enum section_kind kind, uint64_t npages); /* refs 1, or NULL */
struct section *section_find_file(const struct volume_file *f); /* a data section, +ref */
void section_ref(struct section *s);
void section_deref(struct section *s);
/* How section_page found the page. */
enum section_how {
    SECTION_RESIDENT,   /* in memory, mapped or kept */
    SECTION_STANDBY,    /* taken back from the standby list */
    SECTION_READ,       /* read from its image file */
    SECTION_FILE,       /* read from its data file */
    SECTION_ZERO,       /* zero-filled (bss of an image, a paging-file section) */
};
ntk_status section_page(struct section *s, uint32_t page, uint64_t *frame,
                        enum section_how *how);
void section_discard(uint64_t entry_pa);    /* a standby image frame was reused */
uint64_t *section_proto(struct section *s, uint32_t page); /* NULL: no memory */
uint64_t section_resident(const struct section *s, uint32_t page); /* its frame, or 0 */
bool section_read(void *ctx, uint32_t rva, void *dst, uint32_t len);
void section_report(const struct section *s, const struct pe_error *e);
extern struct image_stats image_stats;

/* ---- mapped.c: data and paging-file sections, section objects ------------ */
struct section_object {         /* OBJ_SECTION: what a section handle names */
    struct object obj;
    struct section *s;          /* the control area (a reference) */
    uint64_t size;              /* MaximumSize, bytes */
    uint32_t protect;           /* SectionPageProtection */
    struct section_object *next_named;
    char name[NTK_OBJECT_NAME_MAX + 1]; /* after "\BaseNamedObjects\"; "" unnamed */
};
struct mapped_stats {
    uint64_t page_ins, page_writes, resident, sections;
};
extern struct mapped_stats mapped_stats;
ntk_status data_section_get(const struct volume_file *f, struct section **out); /* +ref */
ntk_status mapped_page_in(struct section *s, uint32_t page, uint64_t pa);
void section_note_dirty(struct section *s, uint32_t page); /* a view wrote it */
ntk_status section_write_back(struct section *s, uint32_t first, uint32_t count);
void mapped_section_teardown(struct section *s);
void section_object_destroy(struct section_object *so);
bool section_protection_compatible(uint32_t section_protect, uint32_t view_protect);
ntk_status svc_create_section(struct trapframe *tf, const uint64_t *a);
ntk_status svc_open_section(struct trapframe *tf, const uint64_t *a);

/* ---- view.c: views of sections in address spaces (MEM_MAPPED) ------------ */
void view_release(struct process *p, struct vad *v); /* write back, then unmap */
void view_flush_all(void);      /* every dirty view page of every process to its file */
ntk_status svc_map_view(struct trapframe *tf, const uint64_t *a);
ntk_status svc_unmap_view(struct trapframe *tf, const uint64_t *a);
ntk_status svc_flush_virtual_memory(struct trapframe *tf, const uint64_t *a);

/* ---- file.c: file objects on the data volume ----------------------------- */
struct file {                   /* OBJ_FILE (NT's FILE_OBJECT) */
    struct object obj;
    struct section *s;          /* the file's data section: its pages, its share state */
    uint32_t access;            /* granted: NTK_FILE_* rights */
    uint32_t share;             /* NTK_FILE_SHARE_* */
    uint64_t position;          /* the file pointer */
};
void file_destroy(struct file *f);
ntk_status svc_create_file(struct trapframe *tf, const uint64_t *a);
ntk_status svc_open_file(struct trapframe *tf, const uint64_t *a);
ntk_status svc_read_file(struct trapframe *tf, const uint64_t *a);
ntk_status svc_write_file(struct trapframe *tf, const uint64_t *a);
ntk_status svc_query_information_file(struct trapframe *tf, const uint64_t *a);
ntk_status svc_set_information_file(struct trapframe *tf, const uint64_t *a);

/* ---- objname.c: names of objects from user OBJECT_ATTRIBUTES ------------- */
struct object_name {
    char text[NTK_OBJECT_NAME_MAX + 1]; /* ASCII; "" when there is none */
    uint32_t attributes;                 /* NTK_OBJ_* */
};
ntk_status object_name_get(uint64_t uattr, bool required, struct object_name *out);

/* ---- token.c: privileges ------------------------------------------------- */
struct token {                  /* OBJ_TOKEN: a process's token (its privileges) */
    struct object obj;
    struct process *proc;       /* a reference */
};
void token_destroy(struct token *t);
void token_init_process(struct process *p);
bool privilege_enabled(const struct process *p, unsigned luid);
ntk_status svc_open_process_token(struct trapframe *tf, const uint64_t *a);
ntk_status svc_adjust_privileges(struct trapframe *tf, const uint64_t *a);

/* ---- largepage.c: MEM_LARGE_PAGES (2 MB and 1 GB pages) ------------------- */
ntk_status largepage_allocate(struct process *p, uint64_t *base, uint64_t *size,
                              uint32_t type, uint32_t protect, uint64_t page_size);
void largepage_release(struct process *p, struct vad *v);
ntk_status largepage_fault(struct process *p, struct vad *v, uint64_t va, int access);
ntk_status largepage_physical(struct process *p, struct vad *v, uint64_t va, uint64_t *pa);
uint64_t largepage_count(void);  /* 2 MB pages allocated now */
ntk_status svc_allocate_ex(struct trapframe *tf, const uint64_t *a);

/* ---- syscall.c: helpers for the services of other files ------------------- */
struct process *process_arg(uint64_t h);    /* the process a handle names (+ref), or NULL */
ntk_status get_u64(uint64_t uva, uint64_t *v);
ntk_status put_u64(uint64_t uva, uint64_t v);

/* ---- image.c: the PE loader --------------------------------------------- */
struct process_args {           /* NtkCreateProcess / run= */
    const char *image;          /* the name on the volume */
    const char *cmdline;        /* ASCII; NULL: the image name */
};
ntk_status image_create_process(const struct process_args *a, uint32_t parent_pid,
                                struct process **pp, struct thread **tp);

/* ---- timer.c ------------------------------------------------------------ */
void timer_init(const struct boot_info *bi);
void timer_eoi(void);
void timer_arm_at(uint64_t when);
void timer_disarm(void);
extern bool timer_preempt;
#define TIMER_QUANTUM_NS 1000000ull   /* 1 ms of virtual time */

/* ---- main.c, selftest.c, demo.c ----------------------------------------- */
extern const struct boot_info *boot_info;
extern char boot_cmdline[BOOT_CMDLINE_MAX];
bool cmdline_get(const char *key, char *out, size_t outlen);
void selftest_run(void *);
void demo_run(void *);
void kernel_finish(int status) __attribute__((noreturn)); /* stop the machine */

#endif /* KERNEL_H */

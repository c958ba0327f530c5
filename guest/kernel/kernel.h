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

#include "guest/lib/lib.h"
#include "guest/lib/x86.h"
#include "shared/bootinfo.h"
#include "guest/kernel/pe.h"
#include "shared/nt/exception.h"
#include "shared/nt/memory.h"
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

/* Segment selectors (the boot GDT's layout, kept by cpu.c). */
#define KCODE 0x08
#define KDATA 0x10
#define UDATA 0x1b
#define UCODE 0x23
#define TSS_SEL 0x30

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
enum object_type { OBJ_PROCESS = 1, OBJ_THREAD = 2 };
struct object {
    enum object_type type;
    uint32_t refs;          /* handles + kernel references */
    bool signaled;
    struct thread *waiters; /* threads waiting on it (linked by wait_next) */
};

struct section;

/* A virtual address descriptor: one reservation, or one view of an image. */
#define VAD_SYSTEM 0x1u     /* placed by the system (PEB, TEB, machine range): no free */
#define VAD_STACK 0x2u      /* a thread's stack */
struct vad {
    struct vad *left, *right, *parent;
    int height;
    uint64_t start, end;        /* [start, end), page aligned */
    uint32_t alloc_protect;     /* AllocationProtect */
    uint32_t type;              /* NTK_MEM_PRIVATE or NTK_MEM_IMAGE */
    uint32_t flags;             /* VAD_* */
    uint64_t committed;         /* pages committed: this VAD's commit charge */
    uint64_t teb;               /* VAD_STACK: the owner's TEB (its StackLimit moves) */
    struct section *section;    /* MEM_IMAGE: the image section (a reference) */
};

#define MAX_HANDLES 256
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
enum pfn_state { PFN_FREE, PFN_ZEROED, PFN_ACTIVE, PFN_RESERVED };
enum pfn_use { USE_NONE, USE_KERNEL, USE_PAGE_TABLE, USE_PRIVATE, USE_POOL, USE_STACK,
               USE_VOLUME, USE_IMAGE };
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
extern uint64_t pfn_demand_zero_faults;

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
ntk_status vm_physical_address(struct process *p, uint64_t va, uint64_t *pa);
bool protection_valid(uint32_t protect);
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

/* ---- object.c / handle.c ------------------------------------------------- */
void object_ref(struct object *o);
void object_deref(struct object *o);
void object_signal(struct object *o);
ntk_status handle_create(struct process *p, struct object *o, uint64_t *h);
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

/* ---- section.c: image sections (shared pages of image files) ------------ */
struct section {
    struct section *next;
    struct volume_file file;
    uint32_t refs;              /* views + the loader's */
    struct pe_info *info;       /* the checked headers */
    uint32_t npages;            /* SizeOfImage / 4 KB */
    uint32_t ndir;
    uint64_t *dir;              /* frames of prototype entries (512 each) */
    uint32_t fail_page;         /* fault injection: page + 1 (pageinfail=FILE:RVA) */
    bool tables_checked;        /* relocations and exports: checked once */
};
struct image_stats {
    uint64_t page_ins, cow_copies, resident, sections;
};
struct section_reader {         /* ctx of section_read */
    struct section *section;
    ntk_status status;          /* why a read failed */
};
ntk_status section_open(const char *name, struct section **out);
void section_ref(struct section *s);
void section_deref(struct section *s);
ntk_status section_page(struct section *s, uint32_t page, uint64_t *frame);
bool section_read(void *ctx, uint32_t rva, void *dst, uint32_t len);
void section_report(const struct section *s, const struct pe_error *e);
extern struct image_stats image_stats;

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

/*
 * shared/nt/services.h - the system-service interface: service numbers and
 * the structures services exchange.  NTK_ prefix (coexists with <windows.h>).
 *
 * Calling convention: the Windows x64 one, through an ntdll-style stub
 *
 *       mov r10, rcx        ; syscall clobbers RCX (return RIP) and R11
 *       mov eax, SERVICE
 *       syscall
 *       ret
 *
 * so arguments 1-4 arrive in R10, RDX, R8, R9 and arguments 5, 6, ... at
 * [RSP + 0x28], [RSP + 0x30], ... of the user stack (above the stub's return
 * address and the caller's 32-byte home area).  The NTSTATUS comes back in
 * RAX.  The kernel preserves RBX, RBP, RDI, RSI, RSP, R12-R15 and XMM6-15
 * (the ABI's non-volatile registers); RCX and R11 are destroyed; RDX, R8-R10
 * are preserved as well.  An unknown number returns
 * NTK_STATUS_INVALID_SYSTEM_SERVICE.
 *
 * The numbers are this kernel's own (Windows changes its numbers with every
 * build); the names and argument lists are Windows's, except the services
 * named Ntk..., which Windows does not have.
 */
#ifndef SHARED_NT_SERVICES_H
#define SHARED_NT_SERVICES_H

#include <stdint.h>

enum ntk_service {
    NTK_SVC_NULL = 0,                    /* NtkNullService(void): returns 0; for benchmarks */
    NTK_SVC_WRITE_CONSOLE,               /* NtkWriteConsole(const char *Buffer, SIZE_T Length) */
    NTK_SVC_ALLOCATE_VIRTUAL_MEMORY,     /* NtAllocateVirtualMemory(Process, PVOID *Base,
                                            ULONG_PTR ZeroBits, SIZE_T *Size, ULONG Type,
                                            ULONG Protect) */
    NTK_SVC_FREE_VIRTUAL_MEMORY,         /* NtFreeVirtualMemory(Process, PVOID *Base,
                                            SIZE_T *Size, ULONG FreeType) */
    NTK_SVC_PROTECT_VIRTUAL_MEMORY,      /* NtProtectVirtualMemory(Process, PVOID *Base,
                                            SIZE_T *Size, ULONG NewProtect, ULONG *OldProtect) */
    NTK_SVC_QUERY_VIRTUAL_MEMORY,        /* NtQueryVirtualMemory(Process, PVOID Base, ULONG Class,
                                            PVOID Info, SIZE_T Length, SIZE_T *ReturnLength) */
    NTK_SVC_TERMINATE_PROCESS,           /* NtTerminateProcess(Process, NTSTATUS ExitStatus) */
    NTK_SVC_TERMINATE_THREAD,            /* NtTerminateThread(Thread, NTSTATUS ExitStatus) */
    NTK_SVC_CREATE_THREAD,               /* NtCreateThreadEx(HANDLE *Thread, ACCESS_MASK, PVOID
                                            ObjectAttributes, Process, PVOID StartRoutine,
                                            PVOID Argument, ULONG Flags, SIZE_T ZeroBits,
                                            SIZE_T StackCommit, SIZE_T StackReserve,
                                            PVOID AttributeList) */
    NTK_SVC_CREATE_PROCESS,              /* NtkCreateProcess(HANDLE *Process, HANDLE *Thread,
                                            const char *ImageName, SIZE_T NameLength,
                                            const char *CommandLine, SIZE_T CommandLineLength):
                                            ASCII; CommandLine 0/0 = the image name */
    NTK_SVC_WAIT_FOR_SINGLE_OBJECT,      /* NtWaitForSingleObject(Handle, BOOLEAN Alertable,
                                            LARGE_INTEGER *Timeout) */
    NTK_SVC_DELAY_EXECUTION,             /* NtDelayExecution(BOOLEAN Alertable,
                                            LARGE_INTEGER *Interval) */
    NTK_SVC_CLOSE,                       /* NtClose(Handle) */
    NTK_SVC_YIELD_EXECUTION,             /* NtYieldExecution(void) */
    NTK_SVC_CONTINUE,                    /* NtContinue(CONTEXT *Context, BOOLEAN TestAlert) */
    NTK_SVC_RAISE_EXCEPTION,             /* NtRaiseException(EXCEPTION_RECORD *, CONTEXT *,
                                            BOOLEAN FirstChance) */
    NTK_SVC_QUERY_INFORMATION_PROCESS,   /* NtQueryInformationProcess(Process, Class, Info,
                                            ULONG Length, ULONG *ReturnLength) */
    NTK_SVC_QUERY_INFORMATION_THREAD,    /* NtQueryInformationThread(Thread, Class, Info,
                                            ULONG Length, ULONG *ReturnLength) */
    NTK_SVC_QUERY_SYSTEM_MEMORY,         /* NtkQuerySystemMemory(struct ntk_system_memory *) */
    NTK_SVC_QUERY_PHYSICAL_ADDRESS,      /* NtkQueryPhysicalAddress(Process, PVOID Address,
                                            ULONG64 *PhysicalAddress): the frame a resident
                                            page maps to, plus the offset; a page that is
                                            not resident: STATUS_INVALID_ADDRESS (it is not
                                            faulted in) */
    NTK_SVC_SET_INFORMATION_PROCESS,     /* NtSetInformationProcess(Process, Class, Info,
                                            ULONG Length): ProcessQuotaLimits (working-set
                                            sizes) only */
    /* Files of the data volume (shared/nt/file.h; issue 7, branch mapped). */
    NTK_SVC_CREATE_FILE,                 /* NtCreateFile(HANDLE *File, ACCESS_MASK, OBJECT_ATTRIBUTES *,
                                            IO_STATUS_BLOCK *, LARGE_INTEGER *AllocationSize,
                                            ULONG FileAttributes, ULONG ShareAccess,
                                            ULONG CreateDisposition, ULONG CreateOptions,
                                            PVOID EaBuffer, ULONG EaLength) */
    NTK_SVC_OPEN_FILE,                   /* NtOpenFile(HANDLE *File, ACCESS_MASK, OBJECT_ATTRIBUTES *,
                                            IO_STATUS_BLOCK *, ULONG ShareAccess,
                                            ULONG OpenOptions) */
    NTK_SVC_READ_FILE,                   /* NtReadFile(File, HANDLE Event, PVOID ApcRoutine,
                                            PVOID ApcContext, IO_STATUS_BLOCK *, PVOID Buffer,
                                            ULONG Length, LARGE_INTEGER *ByteOffset, ULONG *Key) */
    NTK_SVC_WRITE_FILE,                  /* NtWriteFile(the same arguments) */
    NTK_SVC_QUERY_INFORMATION_FILE,      /* NtQueryInformationFile(File, IO_STATUS_BLOCK *, PVOID,
                                            ULONG Length, ULONG Class) */
    NTK_SVC_SET_INFORMATION_FILE,        /* NtSetInformationFile(the same arguments) */
    /* Sections and views (shared/nt/memory.h). */
    NTK_SVC_CREATE_SECTION,              /* NtCreateSection(HANDLE *Section, ACCESS_MASK,
                                            OBJECT_ATTRIBUTES *, LARGE_INTEGER *MaximumSize,
                                            ULONG SectionPageProtection,
                                            ULONG AllocationAttributes, HANDLE File) */
    NTK_SVC_OPEN_SECTION,                /* NtOpenSection(HANDLE *Section, ACCESS_MASK,
                                            OBJECT_ATTRIBUTES *) */
    NTK_SVC_MAP_VIEW_OF_SECTION,         /* NtMapViewOfSection(Section, Process, PVOID *Base,
                                            ULONG_PTR ZeroBits, SIZE_T CommitSize,
                                            LARGE_INTEGER *SectionOffset, SIZE_T *ViewSize,
                                            ULONG InheritDisposition, ULONG AllocationType,
                                            ULONG Win32Protect) */
    NTK_SVC_UNMAP_VIEW_OF_SECTION,       /* NtUnmapViewOfSection(Process, PVOID Base) */
    NTK_SVC_FLUSH_VIRTUAL_MEMORY,        /* NtFlushVirtualMemory(Process, PVOID *Base,
                                            SIZE_T *Size, IO_STATUS_BLOCK *) */
    /* Privileges (shared/nt/token.h) and large pages. */
    NTK_SVC_OPEN_PROCESS_TOKEN,          /* NtOpenProcessToken(Process, ACCESS_MASK,
                                            HANDLE *Token) */
    NTK_SVC_ADJUST_PRIVILEGES_TOKEN,     /* NtAdjustPrivilegesToken(Token, BOOLEAN DisableAll,
                                            TOKEN_PRIVILEGES *NewState, ULONG BufferLength,
                                            TOKEN_PRIVILEGES *PreviousState,
                                            ULONG *ReturnLength) */
    NTK_SVC_ALLOCATE_VIRTUAL_MEMORY_EX,  /* NtAllocateVirtualMemoryEx(Process, PVOID *Base,
                                            SIZE_T *Size, ULONG Type, ULONG Protect,
                                            MEM_EXTENDED_PARAMETER *, ULONG Count) */
    NTK_SVC_MARK,                        /* NtkMark(ULONG Id): the machine records its
                                            counters (and the TLB model's) under Id: phases
                                            of a run, side by side in --stats */
    NTK_SVC_COUNT
};

/* Pseudo-handles. */
#define NTK_CURRENT_PROCESS ((uint64_t)-1)
#define NTK_CURRENT_THREAD  ((uint64_t)-2)

/* NtWaitForSingleObject / NtDelayExecution: LARGE_INTEGER in 100 ns units,
 * negative = relative; this kernel supports relative times only. */
#define NTK_TIME_UNIT_NS 100

/* Information classes. */
#define NTK_PROCESS_BASIC_INFORMATION 0
#define NTK_PROCESS_QUOTA_LIMITS      1   /* QUOTA_LIMITS or QUOTA_LIMITS_EX: working-set sizes */
#define NTK_PROCESS_VM_COUNTERS       3   /* VM_COUNTERS or VM_COUNTERS_EX */
#define NTK_THREAD_BASIC_INFORMATION  0

/* ProcessQuotaLimits: QUOTA_LIMITS (0x30 bytes) or QUOTA_LIMITS_EX (0x58);
 * this kernel reads and reports only the working-set sizes and Flags. */
struct ntk_quota_limits_ex {
    uint64_t paged_pool_limit;        /* 0x00 */
    uint64_t non_paged_pool_limit;    /* 0x08 */
    uint64_t minimum_working_set_size; /* 0x10 bytes */
    uint64_t maximum_working_set_size; /* 0x18 bytes */
    uint64_t pagefile_limit;          /* 0x20 */
    int64_t time_limit;               /* 0x28 */
    uint64_t working_set_limit;       /* 0x30: QUOTA_LIMITS ends here */
    uint64_t reserved2, reserved3, reserved4;
    uint32_t flags;                   /* 0x50 NTK_QUOTA_LIMITS_HARDWS_* */
    uint32_t cpu_rate_limit;          /* 0x54 */
};
_Static_assert(sizeof(struct ntk_quota_limits_ex) == 0x58, "QUOTA_LIMITS_EX");
#define NTK_QUOTA_LIMITS_SIZE 0x30
#define NTK_QUOTA_LIMITS_HARDWS_MIN_ENABLE  0x1u
#define NTK_QUOTA_LIMITS_HARDWS_MIN_DISABLE 0x2u
#define NTK_QUOTA_LIMITS_HARDWS_MAX_ENABLE  0x4u
#define NTK_QUOTA_LIMITS_HARDWS_MAX_DISABLE 0x8u

/* ProcessVmCounters: VM_COUNTERS (0x58 bytes) or VM_COUNTERS_EX (0x60). */
struct ntk_vm_counters_ex {
    uint64_t peak_virtual_size;       /* 0x00 */
    uint64_t virtual_size;            /* 0x08 bytes reserved */
    uint32_t page_fault_count;        /* 0x10 */
    uint32_t reserved0;
    uint64_t peak_working_set_size;   /* 0x18 */
    uint64_t working_set_size;        /* 0x20 */
    uint64_t quota_peak_paged_pool_usage, quota_paged_pool_usage;
    uint64_t quota_peak_non_paged_pool_usage, quota_non_paged_pool_usage;
    uint64_t pagefile_usage;          /* 0x48 the process's commit charge, bytes */
    uint64_t peak_pagefile_usage;     /* 0x50: VM_COUNTERS ends here */
    uint64_t private_usage;           /* 0x58 */
};
_Static_assert(sizeof(struct ntk_vm_counters_ex) == 0x60, "VM_COUNTERS_EX");
#define NTK_VM_COUNTERS_SIZE 0x58

struct ntk_process_basic_information {
    int32_t exit_status;          /* 0x00 STATUS_PENDING while it runs */
    uint32_t reserved0;
    uint64_t peb_base_address;    /* 0x08 */
    uint64_t affinity_mask;       /* 0x10 */
    int32_t base_priority;        /* 0x18 */
    uint32_t reserved1;
    uint64_t unique_process_id;   /* 0x20 */
    uint64_t inherited_from_unique_process_id; /* 0x28 */
};
_Static_assert(sizeof(struct ntk_process_basic_information) == 0x30, "PROCESS_BASIC_INFORMATION");

struct ntk_thread_basic_information {
    int32_t exit_status;          /* 0x00 */
    uint32_t reserved0;
    uint64_t teb_base_address;    /* 0x08 */
    uint64_t unique_process;      /* 0x10 ClientId.UniqueProcess */
    uint64_t unique_thread;       /* 0x18 ClientId.UniqueThread */
    uint64_t affinity_mask;       /* 0x20 */
    int32_t priority;             /* 0x28 */
    int32_t base_priority;        /* 0x2c */
};
_Static_assert(sizeof(struct ntk_thread_basic_information) == 0x30, "THREAD_BASIC_INFORMATION");

/* NtkQuerySystemMemory: pages, as the PFN database and commit charge see them. */
struct ntk_system_memory {
    uint64_t total_pages;         /* frames the PFN database manages */
    uint64_t free_pages;          /* free, not yet zeroed */
    uint64_t zeroed_pages;        /* free and zeroed (by the zero-page thread) */
    uint64_t active_pages;        /* in use */
    uint64_t commit_charge;       /* pages committed, system-wide */
    uint64_t commit_limit;        /* pages that may be committed */
    uint64_t demand_zero_faults;  /* faults resolved with a zeroed page */
    uint64_t zeroed_by_thread;    /* pages the zero-page thread has zeroed */
    uint64_t image_page_ins;      /* image pages read from the volume (first touches) */
    uint64_t image_cow_copies;    /* private copies made by writes to image pages */
    uint64_t image_pages_resident; /* frames image sections hold now (shared) */
    uint64_t image_sections;      /* image sections (files) mapped now */
    /* Paging (docs/paging.md). */
    uint64_t standby_pages;       /* on the standby list: reusable without I/O */
    uint64_t modified_pages;      /* on the modified list: to be written first */
    uint64_t pagefile_pages;      /* the paging file's size, in pages (0: none) */
    uint64_t pagefile_in_use;     /* its slots that hold a page */
    uint64_t pagefile_reads;      /* pages read from it (page-ins) */
    uint64_t pagefile_writes;     /* pages written to it (page-outs) */
    uint64_t transition_faults;   /* faults resolved from the standby or modified list */
    uint64_t pagefile_faults;     /* faults resolved by reading the paging file */
    uint64_t image_faults;        /* faults resolved by reading an image file */
    uint64_t working_set_pages;   /* resident pages of all processes' working sets */
    uint64_t trimmed_pages;       /* pages removed from working sets */
    uint64_t commit_limit_ram;    /* the part of commit_limit that is RAM */
    uint64_t mapped_page_ins;     /* data-file pages read for views (faults) */
    uint64_t mapped_page_writes;  /* data-file pages written back (flush, unmap, exit) */
    uint64_t mapped_pages_resident; /* frames data and paging-file sections hold now */
    uint64_t mapped_sections;     /* data and paging-file sections alive now */
    uint64_t large_pages;         /* 2 MB pages allocated now (a 1 GB page counts 512) */
    uint64_t mapped_faults;       /* faults resolved by reading a data file (views) */
};

/* The Process Environment Block and Thread Environment Block: the fields
 * this kernel fills in, at their Windows x64 offsets.  User GS points at the
 * TEB (GS:[0x30] = TEB, GS:[0x60] = PEB). */
#define NTK_PEB_IMAGE_BASE   0x10
#define NTK_PEB_SIZE         0x1000
#define NTK_TEB_STACK_BASE   0x08
#define NTK_TEB_STACK_LIMIT  0x10
#define NTK_TEB_SELF         0x30
#define NTK_TEB_PROCESS_ID   0x40
#define NTK_TEB_THREAD_ID    0x48
#define NTK_TEB_PEB          0x60
#define NTK_TEB_LAST_ERROR   0x68
#define NTK_TEB_DEALLOCATION_STACK 0x1478
#define NTK_TEB_SIZE         0x2000

#endif /* SHARED_NT_SERVICES_H */

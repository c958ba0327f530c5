/*
 * x86.h - architectural constants shared by the emulator, the MMU library and
 * the guest kernel.  Names follow the Intel SDM (Vol. 3A); every group cites
 * the section that defines it.  Freestanding: no host headers.
 */
#ifndef SHARED_X86_H
#define SHARED_X86_H

#define X86_BIT(n) (1ull << (n))

/* Control register 0 (SDM Vol. 3A §2.5). */
#define X86_CR0_PE X86_BIT(0)  /* protection enable */
#define X86_CR0_MP X86_BIT(1)
#define X86_CR0_EM X86_BIT(2)
#define X86_CR0_TS X86_BIT(3)
#define X86_CR0_ET X86_BIT(4)
#define X86_CR0_NE X86_BIT(5)
#define X86_CR0_WP X86_BIT(16) /* write protect: supervisor writes honour R/W */
#define X86_CR0_AM X86_BIT(18)
#define X86_CR0_NW X86_BIT(29)
#define X86_CR0_CD X86_BIT(30)
#define X86_CR0_PG X86_BIT(31) /* paging */

/* Control register 4 (SDM Vol. 3A §2.5). */
#define X86_CR4_VME        X86_BIT(0)
#define X86_CR4_PVI        X86_BIT(1)
#define X86_CR4_TSD        X86_BIT(2)
#define X86_CR4_DE         X86_BIT(3)
#define X86_CR4_PSE        X86_BIT(4)  /* 4 MB pages in 32-bit paging */
#define X86_CR4_PAE        X86_BIT(5)  /* physical address extension */
#define X86_CR4_MCE        X86_BIT(6)
#define X86_CR4_PGE        X86_BIT(7)  /* global pages */
#define X86_CR4_PCE        X86_BIT(8)
#define X86_CR4_OSFXSR     X86_BIT(9)
#define X86_CR4_OSXMMEXCPT X86_BIT(10)
#define X86_CR4_UMIP       X86_BIT(11)
#define X86_CR4_LA57       X86_BIT(12) /* 5-level paging */
#define X86_CR4_FSGSBASE   X86_BIT(16)
#define X86_CR4_PCIDE      X86_BIT(17) /* process-context identifiers */
#define X86_CR4_OSXSAVE    X86_BIT(18)
#define X86_CR4_SMEP       X86_BIT(20) /* supervisor-mode execution prevention */
#define X86_CR4_SMAP       X86_BIT(21) /* supervisor-mode access prevention */
#define X86_CR4_PKE        X86_BIT(22) /* protection keys for user pages */

/* CR3 with CR4.PCIDE = 1 (SDM Vol. 3A §4.10.1). */
#define X86_CR3_PCID_MASK 0xfffull
#define X86_CR3_NOFLUSH   X86_BIT(63) /* MOV to CR3: keep this PCID's entries */

/* RFLAGS (SDM Vol. 1 §3.4.3). */
#define X86_RFLAGS_CF   X86_BIT(0)
#define X86_RFLAGS_FIXED X86_BIT(1) /* always 1 */
#define X86_RFLAGS_PF   X86_BIT(2)
#define X86_RFLAGS_AF   X86_BIT(4)
#define X86_RFLAGS_ZF   X86_BIT(6)
#define X86_RFLAGS_SF   X86_BIT(7)
#define X86_RFLAGS_TF   X86_BIT(8)
#define X86_RFLAGS_IF   X86_BIT(9)
#define X86_RFLAGS_DF   X86_BIT(10)
#define X86_RFLAGS_OF   X86_BIT(11)
#define X86_RFLAGS_IOPL (3ull << 12)
#define X86_RFLAGS_NT   X86_BIT(14)
#define X86_RFLAGS_RF   X86_BIT(16)
#define X86_RFLAGS_VM   X86_BIT(17)
#define X86_RFLAGS_AC   X86_BIT(18) /* alignment check / SMAP override */
#define X86_RFLAGS_VIF  X86_BIT(19)
#define X86_RFLAGS_VIP  X86_BIT(20)
#define X86_RFLAGS_ID   X86_BIT(21)

/* Model-specific registers (SDM Vol. 4). */
#define X86_MSR_APIC_BASE      0x0000001bu
#define X86_MSR_EFER           0xc0000080u
#define X86_MSR_STAR           0xc0000081u
#define X86_MSR_LSTAR          0xc0000082u
#define X86_MSR_CSTAR          0xc0000083u
#define X86_MSR_FMASK          0xc0000084u
#define X86_MSR_FS_BASE        0xc0000100u
#define X86_MSR_GS_BASE        0xc0000101u
#define X86_MSR_KERNEL_GS_BASE 0xc0000102u
#define X86_MSR_TSC_AUX        0xc0000103u
#define X86_MSR_PAT            0x00000277u

/* IA32_EFER (SDM Vol. 3A §2.2.1). */
#define X86_EFER_SCE X86_BIT(0)  /* SYSCALL/SYSRET enable */
#define X86_EFER_LME X86_BIT(8)  /* long mode enable */
#define X86_EFER_LMA X86_BIT(10) /* long mode active */
#define X86_EFER_NXE X86_BIT(11) /* execute-disable bit enable */

/*
 * Paging-structure entries (SDM Vol. 3A §4.3-4.5, Tables 4-4 to 4-20).
 * The same bit positions serve every paging mode; which ones are defined,
 * ignored or reserved depends on the mode and level (see mmu/paging.c).
 */
#define X86_PTE_P    X86_BIT(0)  /* present */
#define X86_PTE_RW   X86_BIT(1)  /* read/write */
#define X86_PTE_US   X86_BIT(2)  /* user/supervisor */
#define X86_PTE_PWT  X86_BIT(3)  /* page-level write-through */
#define X86_PTE_PCD  X86_BIT(4)  /* page-level cache disable */
#define X86_PTE_A    X86_BIT(5)  /* accessed */
#define X86_PTE_D    X86_BIT(6)  /* dirty (entries that map a page) */
#define X86_PTE_PS   X86_BIT(7)  /* page size (PDE, PDPTE); PAT in a PTE */
#define X86_PTE_PAT  X86_BIT(7)  /* PAT bit of a 4 KB PTE */
#define X86_PTE_G    X86_BIT(8)  /* global (entries that map a page) */
#define X86_PTE_LPAT X86_BIT(12) /* PAT bit of a 2 MB/4 MB/1 GB page entry */
#define X86_PTE_PK_SHIFT 59      /* protection key, bits 62:59 (IA-32e) */
#define X86_PTE_PK_MASK  (0xfull << X86_PTE_PK_SHIFT)
#define X86_PTE_XD   X86_BIT(63) /* execute-disable (with EFER.NXE) */
#define X86_PTE_ADDR_MASK 0x000ffffffffff000ull /* bits 51:12 */

/* Page-fault error code (SDM Vol. 3A §4.7, Figure 4-12). */
#define X86_PF_P    X86_BIT(0)  /* 0: not present; 1: protection or reserved bit */
#define X86_PF_W    X86_BIT(1)  /* the access was a write */
#define X86_PF_U    X86_BIT(2)  /* the access was a user-mode access */
#define X86_PF_RSVD X86_BIT(3)  /* a reserved bit was set in an entry */
#define X86_PF_ID   X86_BIT(4)  /* the access was an instruction fetch */
#define X86_PF_PK   X86_BIT(5)  /* protection-key violation */
#define X86_PF_SS   X86_BIT(6)  /* shadow-stack access */
#define X86_PF_SGX  X86_BIT(15)

/* Exception and interrupt vectors (SDM Vol. 3A §6.3.1, Table 6-1). */
#define X86_VEC_DE  0  /* divide error */
#define X86_VEC_DB  1  /* debug */
#define X86_VEC_NMI 2
#define X86_VEC_BP  3  /* breakpoint (int3) */
#define X86_VEC_OF  4
#define X86_VEC_BR  5
#define X86_VEC_UD  6  /* invalid opcode */
#define X86_VEC_NM  7
#define X86_VEC_DF  8  /* double fault */
#define X86_VEC_TS  10 /* invalid TSS */
#define X86_VEC_NP  11 /* segment not present */
#define X86_VEC_SS  12 /* stack-segment fault */
#define X86_VEC_GP  13 /* general protection */
#define X86_VEC_PF  14 /* page fault */
#define X86_VEC_MF  16
#define X86_VEC_AC  17
#define X86_VEC_MC  18
#define X86_VEC_XM  19

/* Page sizes. */
#define X86_PAGE_4K 0x1000ull
#define X86_PAGE_2M 0x200000ull
#define X86_PAGE_4M 0x400000ull
#define X86_PAGE_1G 0x40000000ull

#endif /* SHARED_X86_H */

/*
 * lock.c - slim reader/writer locks, exclusive mode only: enough for the
 * heap and the vectored handler list.  RTL_SRWLOCK is one pointer; 0 is
 * free, 1 owned.  The machine has one CPU, so spinning on a taken lock can
 * only waste the quantum its owner needs: a contended acquire yields
 * (NtYieldExecution) and tries again.  Not recursive, as Windows's are not.
 */
#include "guest/ntdll/ntdll.h"

VOID NTAPI RtlInitializeSRWLock(PRTL_SRWLOCK Lock)
{
    Lock->Ptr = NULL;
}

VOID NTAPI RtlAcquireSRWLockExclusive(PRTL_SRWLOCK Lock)
{
    PVOID expected = NULL;
    while (!__atomic_compare_exchange_n(&Lock->Ptr, &expected, (PVOID)1, FALSE, __ATOMIC_ACQUIRE,
                                        __ATOMIC_RELAXED)) {
        NtYieldExecution();
        expected = NULL;
    }
}

VOID NTAPI RtlReleaseSRWLockExclusive(PRTL_SRWLOCK Lock)
{
    __atomic_store_n(&Lock->Ptr, NULL, __ATOMIC_RELEASE);
}

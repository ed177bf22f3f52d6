/* Calls two syscall numbers that are not assigned on x86_64, then exits.
 * strace prints them as syscall_0x3e7(...) and syscall_0xbad(...).
 * Built by capture.sh into a temporary directory (the binary is not committed). */
#define _GNU_SOURCE
#include <unistd.h>
#include <sys/syscall.h>

int main(void)
{
    syscall(0x3e7, 1L, 2L, 3L, 0L, 0L, 0L);
    syscall(0xbad, 0x10L, 0x20L, 0L, 0L, 0L, 0L);
    return 0;
}

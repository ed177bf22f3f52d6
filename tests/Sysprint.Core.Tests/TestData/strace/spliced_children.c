/* Starts children three ways, twice: fork (clone), vfork and a thread (clone3), each waited for.
 * Traced with strace -f to stderr, strace prints "strace: Process N attached" while the parent's
 * clone/vfork/clone3 line is still open, so the notice lands inside that line and the rest of the
 * call follows on the next line. Built by capture.sh into a temporary directory. */
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

static void *work(void *arg)
{
    (void)arg;
    getppid();
    return 0;
}

int main(void)
{
    for (int i = 0; i < 2; i++) {
        pid_t p = fork();
        if (p == 0)
            _exit(0);
        waitpid(p, 0, 0);

        p = vfork();
        if (p == 0)
            _exit(0);
        waitpid(p, 0, 0);

        pthread_t t;
        pthread_create(&t, 0, work, 0);
        pthread_join(t, 0);
    }
    return 0;
}

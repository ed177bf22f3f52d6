/* Code injected at load time into well-known programs (LD_PRELOAD), one payload per build:
 *   cc -shared -fPIC -DPAYLOAD_<NAME> -o NAME.so injections.c
 * Each constructor runs before main, as a tampered binary's extra code would. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

__attribute__((constructor)) static void injected(void)
{
#if defined(PAYLOAD_SOCKET)
    /* Phone home: a TCP connection to a port nobody listens on (no network needed). */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(4444) };
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connect(fd, (struct sockaddr *)&addr, sizeof addr);
    close(fd);
#elif defined(PAYLOAD_CONNECT)
    /* Phone home to the port in INJECT_PORT (a test's own listener on loopback). */
    const char *port = getenv("INJECT_PORT");
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(port ? atoi(port) : 4444) };
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connect(fd, (struct sockaddr *)&addr, sizeof addr);
    close(fd);
#elif defined(PAYLOAD_SHELL)
    /* Spawn a shell (without passing the injection on: the shell would spawn one in turn). */
    unsetenv("LD_PRELOAD");
    system("exit 0");
#elif defined(PAYLOAD_SETUID)
    /* Make a copy setuid and drop to the real uid, as a privilege-keeping backdoor would. */
    const char *target = getenv("INJECT_TARGET");
    if (target) {
        int fd = open(target, O_WRONLY | O_CREAT | O_TRUNC, 0700);
        close(fd);
        chmod(target, 04755);
    }
    setuid(getuid());
#elif defined(PAYLOAD_APPEND)
    /* Append a line to a file, as a planted key or a cron entry would be. */
    const char *target = getenv("INJECT_TARGET");
    if (target) {
        int fd = open(target, O_WRONLY | O_APPEND | O_CREAT, 0600);
        write(fd, "ssh-ed25519 AAAA... attacker\n", 29);
        close(fd);
    }
#else
#error "define one PAYLOAD_*"
#endif
}

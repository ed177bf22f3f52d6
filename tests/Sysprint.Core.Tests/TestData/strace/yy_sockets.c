/* Opens a few sockets so that strace -yy decorates descriptors with socket
 * details: a UNIX socketpair, a TCP connection over loopback (listener,
 * client and accepted socket in the same process) and a UDP socket.
 * Built by capture.sh into a temporary directory (the binary is not committed). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void)
{
    int sv[2];
    char buf[4];
    struct sockaddr_in a = {0};
    socklen_t len = sizeof a;

    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0) {
        write(sv[0], "hi", 2);
        read(sv[1], buf, sizeof buf);
        close(sv[0]);
        close(sv[1]);
    }

    int l = socket(AF_INET, SOCK_STREAM, 0);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    bind(l, (struct sockaddr *)&a, sizeof a);
    listen(l, 1);
    getsockname(l, (struct sockaddr *)&a, &len);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    connect(c, (struct sockaddr *)&a, sizeof a);
    int s = accept(l, NULL, NULL);
    write(c, "ping", 4);
    read(s, buf, sizeof buf);
    close(s);
    close(c);
    close(l);

    int u = socket(AF_INET, SOCK_DGRAM, 0);
    sendto(u, "x", 1, 0, (struct sockaddr *)&a, sizeof a);
    close(u);
    return 0;
}

using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Sysprint.Fleet.Tests.Support;
using Process = Sysprint.TestSupport.SysprintProcess;

namespace Sysprint.Fleet.Tests.Server;

/// <summary>
/// <c>serve --tls-cert --tls-key</c> with a real certificate (a CA made here, and a certificate for
/// 127.0.0.1 it signed, as PEM files): a real agent that pins the CA (<c>--server-ca</c>) enrolls
/// over HTTPS and its heartbeat arrives; an agent pinning another CA does not enroll; plain HTTP to
/// the TLS port gets no answer from the API.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class TlsTests : IAsyncLifetime
{
    private const string Normal =
        """
        100   openat(AT_FDCWD, "/etc/hostname", O_RDONLY) = 3
        100   read(3, "vm\n", 131072) = 3
        100   close(3) = 0
        100   +++ exited with 0 +++

        """;

    private readonly TempDir _dir = new();
    private readonly List<Process> _processes = [];
    private TestDatabase _db = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        _dir.Write("admin.token", "tls-test-admin-token-0123456789\n");
        File.SetUnixFileMode(_dir.PathOf("admin.token"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    [Fact]
    public async Task An_agent_pinning_the_servers_ca_enrolls_over_https_and_one_pinning_another_ca_does_not()
    {
        WriteCertificates();
        Assert.Equal(0, Support.Cli.Run("train", "--db", _db.Url, _dir.Write("central/normal.strace", Normal)).Exit);
        var (exit, output, error) = Support.Cli.Run("enroll-token", "--db", _db.Url, "--group", "web");
        Assert.True(exit == 0, error);
        string secret = output.TrimEnd().Split('\n')[^1];
        int port = FreePort();
        Process serve = Track(Process.Start(["serve", "--db", _db.Url, "--listen", $"127.0.0.1:{port}", "--admin-token-file", _dir.PathOf("admin.token"),
            "--tls-cert", _dir.PathOf("server.pem"), "--tls-key", _dir.PathOf("server.key")]));
        await Eventually.TrueAsync(() => Task.FromResult(serve.Out.Contains("listening on ", StringComparison.Ordinal) || serve.HasExited),
            "serve listening over TLS", () => serve.Error, seconds: 120);
        Assert.False(serve.HasExited, serve.Error);
        Assert.Contains($"https://127.0.0.1:{port}", serve.Out, StringComparison.Ordinal);

        Process trusted = StartAgent("hv-1", port, secret, "ca.pem");
        Process stranger = StartAgent("hv-2", port, secret, "other-ca.pem");

        await Eventually.TrueAsync(() => Task.FromResult(File.Exists(_dir.PathOf("hv-1.db.credential"))), "hv-1 enrolled over https", () => trusted.Error);
        await Eventually.TrueAsync(() => Task.FromResult(Hosts().Contains("\"name\":\"hv-1\"", StringComparison.Ordinal)
            && Hosts().Contains("\"last_seen\":\"", StringComparison.Ordinal)), "hv-1's heartbeat over https", () => trusted.Error);
        await Eventually.TrueAsync(() => Task.FromResult(stranger.Error.Contains("enrolling in the background", StringComparison.Ordinal)),
            "hv-2 refusing the server's certificate", () => stranger.Error);
        Assert.Contains("SSL connection could not be established", stranger.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(_dir.PathOf("hv-2.db.credential")));
        Assert.DoesNotContain("\"name\":\"hv-2\"", Hosts(), StringComparison.Ordinal);
        using var plain = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => plain.GetStringAsync(new Uri($"http://127.0.0.1:{port}/healthz"), Ct));
        Assert.False(trusted.HasExited, trusted.Error);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (Process process in _processes)
        {
            process.Dispose();
        }

        if (_db is not null)
        {
            await _db.DisposeAsync();
        }

        _dir.Dispose();
    }

    private string Hosts()
    {
        var (exit, output, error) = Support.Cli.Run("hosts", "--db", _db.Url, "--json");
        Assert.True(exit == 0, error);
        return output;
    }

    /// <summary>ca.pem signs server.pem (for 127.0.0.1 and localhost, key in server.key); other-ca.pem signs nothing here.</summary>
    private void WriteCertificates()
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        using ECDsa caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=sysprint test fleet CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using X509Certificate2 ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));

        using ECDsa serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", serverKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using X509Certificate2 server = request.Create(ca, now.AddDays(-1), now.AddDays(29), [1, 2, 3, 4, 5, 6, 7, 8]);

        using ECDsa otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var otherRequest = new CertificateRequest("CN=another CA", otherKey, HashAlgorithmName.SHA256);
        otherRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using X509Certificate2 other = otherRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));

        _dir.Write("ca.pem", ca.ExportCertificatePem() + "\n");
        _dir.Write("other-ca.pem", other.ExportCertificatePem() + "\n");
        _dir.Write("server.pem", server.ExportCertificatePem() + "\n");
        _dir.Write("server.key", serverKey.ExportPkcs8PrivateKeyPem() + "\n");
        File.SetUnixFileMode(_dir.PathOf("server.key"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    private Process StartAgent(string host, int port, string secret, string ca)
    {
        var (exit, _, error) = Support.Cli.Run("train", "--db", _dir.PathOf(host + ".db"), _dir.Write(host + "-normal.strace", Normal));
        Assert.True(exit == 0, error);
        Directory.CreateDirectory(_dir.PathOf(host));
        return Track(Process.Start(["watch", "--db", _dir.PathOf(host + ".db"), "--server", $"https://127.0.0.1:{port}/", "--server-ca", _dir.PathOf(ca),
            "--enroll-token", secret, "--host", host, "-q", _dir.PathOf(host)]));
    }

    private Process Track(Process process)
    {
        _processes.Add(process);
        return process;
    }

    private static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}

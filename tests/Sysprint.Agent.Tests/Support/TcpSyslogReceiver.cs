using System.Net;
using System.Net.Sockets;

namespace Sysprint.Agent.Tests.Support;

/// <summary>A TCP socket on 127.0.0.1 that keeps every byte received, for the syslog sink's RFC 6587 framing.</summary>
internal sealed class TcpSyslogReceiver : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly MemoryStream _received = new();
    private readonly Task _loop;

    public TcpSyslogReceiver()
    {
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _loop = Task.Run(LoopAsync);
    }

    public int Port { get; }

    public string Spec => $"tcp:127.0.0.1:{Port}";

    /// <summary>Every byte received so far, over all connections, in order.</summary>
    public byte[] Bytes
    {
        get
        {
            lock (_received)
            {
                return _received.ToArray();
            }
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // Stopped under a pending accept.
        }

        _received.Dispose();
    }

    private async Task LoopAsync()
    {
        while (true)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync();
            }
            catch (Exception e) when (e is ObjectDisposedException or SocketException or InvalidOperationException)
            {
                return;
            }

            using (client)
            {
                NetworkStream stream = client.GetStream();
                byte[] buffer = new byte[65536];
                int n;
                while ((n = await stream.ReadAsync(buffer)) > 0)
                {
                    lock (_received)
                    {
                        _received.Write(buffer, 0, n);
                    }
                }
            }
        }
    }
}

using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Sysprint.Agent.Tests.Support;

/// <summary>A UDP socket on 127.0.0.1 that records every datagram, for the syslog sink.</summary>
internal sealed class SyslogReceiver : IDisposable
{
    private readonly UdpClient _client = new(new IPEndPoint(IPAddress.Loopback, 0));
    private readonly Task _loop;

    public SyslogReceiver()
    {
        Port = ((IPEndPoint)_client.Client.LocalEndPoint!).Port;
        _loop = Task.Run(LoopAsync);
    }

    public int Port { get; }

    public string Spec => $"udp:127.0.0.1:{Port}";

    public ConcurrentQueue<string> Messages { get; } = new();

    public void Dispose()
    {
        _client.Dispose();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // Closed under a pending receive.
        }
    }

    private async Task LoopAsync()
    {
        while (true)
        {
            try
            {
                UdpReceiveResult datagram = await _client.ReceiveAsync();
                Messages.Enqueue(Encoding.UTF8.GetString(datagram.Buffer));
            }
            catch (Exception e) when (e is ObjectDisposedException or SocketException)
            {
                return;
            }
        }
    }
}

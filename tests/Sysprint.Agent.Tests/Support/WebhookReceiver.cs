using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Sysprint.Agent.Tests.Support;

/// <summary>An HTTP server on 127.0.0.1 that records every POST, for the webhook sink.</summary>
internal sealed class WebhookReceiver : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _loop;

    public WebhookReceiver(int? port = null, int status = 200)
    {
        Port = port ?? FreePort();
        Status = status;
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public int Port { get; }

    public string Url => $"http://127.0.0.1:{Port}/alerts";

    /// <summary>The status answered; change it to make the sink fail or recover.</summary>
    public int Status { get; set; }

    /// <summary>Bodies received with a 2xx answer, in order, with their arrival time.</summary>
    public ConcurrentQueue<(string Body, string ContentType, DateTime At)> Received { get; } = new();

    public int Requests => _requests;

    private int _requests;

    public List<JsonDocument> Alerts() => [.. Received.Select(r => JsonDocument.Parse(r.Body))];

    public List<string> Ids() => [.. Received.Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("uuid").GetString()!)];

    /// <summary>A port that was free a moment ago (bound to 0, then released).</summary>
    public static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    public void Dispose()
    {
        // Close alone: Stop then Close removes the prefix twice, and the second removal binds the
        // port again for a moment, failing with "Address already in use" when another test has it
        // by then (seen in a CI run).
        try
        {
            _listener.Close();
        }
        catch (HttpListenerException)
        {
            // Closing only; nothing left to release.
        }

        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // The listener was closed under a pending GetContext.
        }
    }

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
            string body = await reader.ReadToEndAsync();
            Interlocked.Increment(ref _requests);
            int status = Status;
            if (status is >= 200 and < 300)
            {
                Received.Enqueue((body, context.Request.ContentType ?? "", DateTime.UtcNow));
            }

            context.Response.StatusCode = status;
            context.Response.Close();
        }
    }
}

using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Sysprint.Diagnostics;
using Sysprint.Fleet;
using Sysprint.Storage;

namespace Sysprint.Server.Console;

/// <summary>
/// <c>GET /api/events</c>: the console's live feed as server-sent events. Every poll interval (1 s
/// by default) it asks the store for alerts that arrived since the last one it sent and for the
/// hosts' states, and sends <c>event: alert</c> (an alert as <c>GET /api/alerts</c> writes it) and
/// <c>event: host</c> (a host as <c>GET /api/hosts</c> writes it, when its state changed). The
/// store is the only state, so a browser may reconnect to any instance; a new connection starts
/// from the newest alert. While the store is away it sends <c>event: store</c> and keeps trying.
/// </summary>
internal static class LiveEvents
{
    /// <summary>Alerts sent per poll at most; more wait for the next poll.</summary>
    public const int MaxAlertsPerPoll = 200;

    private static readonly TimeSpan s_keepAlive = TimeSpan.FromSeconds(15);

    public static async Task StreamAsync(HttpContext context, IFleetStore fleet, IConsoleStore store, TimeSpan interval, TimeProvider clock)
    {
        // The stream ends when the browser goes or the server stops (a stream would hold a graceful stop for its whole timeout).
        IHostApplicationLifetime lifetime = context.RequestServices.GetRequiredService<IHostApplicationLifetime>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        CancellationToken ct = stop.Token;
        HttpResponse response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache, no-transform";
        response.Headers["X-Accel-Buffering"] = "no";
        var states = new Dictionary<string, HostState>(StringComparer.Ordinal);
        long last;
        try
        {
            last = await store.LatestSeqAsync(ct).ConfigureAwait(false);
            DateTimeOffset now = clock.GetUtcNow();
            foreach (FleetHost host in await fleet.ListHostsAsync(ct).ConfigureAwait(false))
            {
                states[host.Name] = host.StateAt(now);
            }

            await SendAsync(response, "hello", json =>
            {
                json.WriteStartObject();
                json.WriteNumber("latest_seq", last);
                json.WriteNumber("poll_ms", (long)interval.TotalMilliseconds);
                json.WriteEndObject();
            }, ct).ConfigureAwait(false);
            DateTimeOffset lastSent = clock.GetUtcNow();
            bool storeAway = false;
            while (!ct.IsCancellationRequested)
            {
                await Task.Delay(interval, clock, ct).ConfigureAwait(false);
                bool sent = false;
                try
                {
                    foreach (ConsoleAlert alert in await store.AlertsAfterAsync(last, MaxAlertsPerPoll, ct).ConfigureAwait(false))
                    {
                        await SendAsync(response, "alert", json => ConsoleJson.WriteAlert(json, alert), ct).ConfigureAwait(false);
                        last = alert.Alert.Seq;
                        sent = true;
                    }

                    now = clock.GetUtcNow();
                    foreach (FleetHost host in await fleet.ListHostsAsync(ct).ConfigureAwait(false))
                    {
                        HostState state = host.StateAt(now);
                        if (!states.TryGetValue(host.Name, out HostState before) || before != state)
                        {
                            states[host.Name] = state;
                            await SendAsync(response, "host", json => FleetJson.WriteHost(json, host, now), ct).ConfigureAwait(false);
                            sent = true;
                        }
                    }

                    if (storeAway)
                    {
                        storeAway = false;
                        await SendAsync(response, "store", json => WriteStore(json, true, null), ct).ConfigureAwait(false);
                        sent = true;
                    }
                }
                catch (SysprintException e) when (e.Kind == ErrorKind.StoreUnavailable)
                {
                    if (!storeAway)
                    {
                        storeAway = true;
                        await SendAsync(response, "store", json => WriteStore(json, false, "the fleet store is unavailable; retrying"), ct).ConfigureAwait(false);
                        sent = true;
                    }
                }

                if (sent)
                {
                    lastSent = clock.GetUtcNow();
                }
                else if (clock.GetUtcNow() - lastSent >= s_keepAlive)
                {
                    // A comment line: keeps proxies from closing an idle stream.
                    await response.WriteAsync(": keep-alive\n\n", ct).ConfigureAwait(false);
                    await response.Body.FlushAsync(ct).ConfigureAwait(false);
                    lastSent = clock.GetUtcNow();
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The browser went away (page closed, navigation): the normal end of a stream.
        }
    }

    private static void WriteStore(Utf8JsonWriter json, bool available, string? message)
    {
        json.WriteStartObject();
        json.WriteBoolean("available", available);
        ConsoleJson.WriteString(json, "message", message);
        json.WriteEndObject();
    }

    private static async Task SendAsync(HttpResponse response, string name, Action<Utf8JsonWriter> write, CancellationToken ct)
    {
        // FleetJson's text holds no raw newline (JSON escapes them), so one data line carries it.
        string text = $"event: {name}\ndata: {FleetJson.ToText(write)}\n\n";
        await response.Body.WriteAsync(Encoding.UTF8.GetBytes(text), ct).ConfigureAwait(false);
        await response.Body.FlushAsync(ct).ConfigureAwait(false);
    }
}

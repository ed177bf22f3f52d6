using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sysprint.Diagnostics;
using Sysprint.Storage;

namespace Sysprint.Server;

/// <summary>
/// <c>sysprint serve</c>: the fleet's HTTP API on Kestrel. It keeps nothing between requests
/// (every fact lives in the <see cref="IFleetStore"/>), so any number of instances can serve one
/// PostgreSQL behind a load balancer. The rate limits are per instance.
/// </summary>
public sealed class FleetServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FleetServer(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    /// <summary>The address the server listens on, with the port actually bound.</summary>
    public Uri Address { get; }

    /// <summary>Builds and starts the server; returns once it accepts connections.</summary>
    /// <param name="store">Used by every request; disposed by the caller after the server.</param>
    /// <exception cref="SysprintException">The certificate or key cannot be read (66), or the address is taken (64).</exception>
    public static async Task<FleetServer> StartAsync(ServeOptions options, IFleetStore store, Action<ILoggingBuilder>? logging = null,
        TimeProvider? clock = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(store);
        X509Certificate2? certificate = LoadCertificate(options);
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [],
            ApplicationName = "sysprint",
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        if (logging is not null)
        {
            logging(builder.Logging);
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = options.MaxBodyBytes;
            kestrel.Limits.MaxRequestHeadersTotalSize = 16 * 1024;
            kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(15);
            kestrel.Listen(options.Listen, listen =>
            {
                if (certificate is not null)
                {
                    listen.UseHttps(certificate);
                }
            });
        });
        builder.Services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context => Partition(context, options));
            limiter.OnRejected = async (rejected, ct) =>
            {
                if (rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out TimeSpan retry))
                {
                    rejected.HttpContext.Response.Headers.RetryAfter = ((int)Math.Ceiling(retry.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                }

                await ApiJson.WriteErrorAsync(rejected.HttpContext.Response, "too many requests from this host: slow down", ct).ConfigureAwait(false);
            };
        });

        TimeProvider time = clock ?? TimeProvider.System;
        builder.Services.AddHostedService(services => new LearningCloser(store, options, time, services.GetRequiredService<ILogger<LearningCloser>>()));
        WebApplication app = builder.Build();
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context).ConfigureAwait(false);
            }
            catch (BadRequestException e)
            {
                await Answer(context, e.Status, e.Message).ConfigureAwait(false);
            }
            catch (SysprintException e) when (e.Kind == ErrorKind.StoreUnavailable)
            {
                // The database is away (restarting, failing over): the agent keeps its alerts and retries.
                app.Logger.LogWarning("store unavailable: {Error}", e.Message);
                await Answer(context, StatusCodes.Status503ServiceUnavailable, "the fleet store is unavailable; retry later").ConfigureAwait(false);
            }
        });
        Console.ConsolePages.UseSecurityHeaders(app);
        app.UseRateLimiter();
        app.MapGet("/healthz", () => Results.Text("ok\n"));
        AgentApi.Map(app, options, store, time);
        ProfileFeed.Map(app, options, store, time);
        LearningApi.Map(app, options, store, time);
        AdminApi.Map(app, options, store, time);
        Console.ConsoleApi.Map(app, options, store, time);
        Console.ConsolePages.Map(app, options, time);
        app.MapFallback((HttpContext context) => ApiJson.Error(StatusCodes.Status404NotFound, $"no such endpoint: {context.Request.Method} {context.Request.Path}"));

        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw new SysprintException(ErrorKind.Usage, $"--listen {options.Listen}: {e.Message}", e);
        }

        string bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var address = new Uri(bound.Replace("://[::]", "://[::1]", StringComparison.Ordinal).Replace("://0.0.0.0", "://127.0.0.1", StringComparison.Ordinal));
        return new FleetServer(app, address);
    }

    /// <summary>Runs until <paramref name="stop"/> fires or the process is asked to stop (SIGTERM, Ctrl+C).</summary>
    public Task WaitForShutdownAsync(CancellationToken stop) => _app.WaitForShutdownAsync(stop);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Agents are limited per credential (a token bucket each; an agent's retries after a long
    /// outage are smoothed, not refused for good), enrollment per network address; admin calls
    /// and health checks are not limited.
    /// </summary>
    private static RateLimitPartition<string> Partition(HttpContext context, ServeOptions options)
    {
        PathString path = context.Request.Path;
        if (path.StartsWithSegments("/api/agent/enroll", StringComparison.Ordinal))
        {
            string address = context.Connection.RemoteIpAddress?.ToString() ?? "?";
            return RateLimitPartition.GetFixedWindowLimiter("enroll:" + address, _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = options.EnrollPerMinutePerAddress,
                Window = TimeSpan.FromMinutes(1),
                QueueLimit = 0,
            });
        }

        if (path.StartsWithSegments("/api/agent", StringComparison.Ordinal))
        {
            string key = HostAuthentication.Bearer(context.Request) is { Length: <= 128 } credential
                ? "host:" + credential
                : "anonymous:" + (context.Connection.RemoteIpAddress?.ToString() ?? "?");
            return RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = options.HostBurst,
                TokensPerPeriod = options.HostRequestsPerSecond,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            });
        }

        return RateLimitPartition.GetNoLimiter("admin");
    }

    private static Task Answer(HttpContext context, int status, string message)
    {
        if (context.Response.HasStarted)
        {
            return Task.CompletedTask;
        }

        context.Response.Clear();
        context.Response.StatusCode = status;
        return ApiJson.WriteErrorAsync(context.Response, message, context.RequestAborted);
    }

    private static X509Certificate2? LoadCertificate(ServeOptions options)
    {
        if (options.TlsCertificate is null && options.TlsKey is null)
        {
            return null;
        }

        if (options.TlsCertificate is null || options.TlsKey is null)
        {
            throw new SysprintException(ErrorKind.Usage, "--tls-cert and --tls-key go together");
        }

        try
        {
            return X509Certificate2.CreateFromPemFile(options.TlsCertificate, options.TlsKey);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SysprintException(ErrorKind.InputMissing, $"cannot read the TLS certificate or key: {e.Message}", e);
        }
        catch (CryptographicException e)
        {
            throw new SysprintException(ErrorKind.MalformedInput, $"{options.TlsCertificate}, {options.TlsKey}: not a PEM certificate and its key: {e.Message}", e);
        }
    }

    /// <summary>Parses <c>--listen</c>: <c>ADDRESS:PORT</c> (<c>127.0.0.1:8443</c>, <c>[::]:8443</c>, <c>0.0.0.0:0</c>).</summary>
    /// <exception cref="SysprintException">Not an address and port (64).</exception>
    public static IPEndPoint ParseListen(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return IPEndPoint.TryParse(text, out IPEndPoint? endpoint) && text.Contains(':', StringComparison.Ordinal) && !text.EndsWith(']')
            && (text.Count(c => c == ':') == 1 || text.StartsWith('['))
            ? endpoint
            : throw new SysprintException(ErrorKind.Usage, $"--listen '{Printable.Escape(text)}': expected ADDRESS:PORT, e.g. 127.0.0.1:8443 or [::]:8443");
    }
}

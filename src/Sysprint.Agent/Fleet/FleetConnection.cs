using Microsoft.Extensions.Logging;
using Sysprint.Diagnostics;

namespace Sysprint.Agent.Fleet;

/// <summary>
/// The agent's membership of a fleet: its credential (read from <c>credential_file</c>, or obtained
/// by enrolling with the secret once and saved there, mode 0600) and the client that speaks to the
/// server. Shared by the server sink and the heartbeats; thread-safe.
/// </summary>
public sealed class FleetConnection : IDisposable
{
    private readonly string? _enrollSecret;
    private readonly string _credentialFile;
    private readonly SemaphoreSlim _enrolling = new(1, 1);
    private readonly ILogger _logger;
    private volatile FleetCredential? _credential;

    private FleetConnection(FleetClient client, string host, string? enrollSecret, string credentialFile, FleetCredential? credential, ILogger logger)
    {
        Client = client;
        Host = host;
        _enrollSecret = enrollSecret;
        _credentialFile = credentialFile;
        _credential = credential;
        _logger = logger;
    }

    public FleetClient Client { get; }

    /// <summary>The name the host enrolled (or will enroll) under: the <c>hostname</c> of its alerts.</summary>
    public string Host { get; }

    /// <summary>The credential, or null while the host has not enrolled yet.</summary>
    public FleetCredential? Credential => _credential;

    /// <summary>
    /// Loads the credential file, or enrolls now when there is none. When the server cannot be
    /// reached, the agent starts anyway (it keeps working locally) and enrolls in the background.
    /// </summary>
    /// <exception cref="SysprintException">The credential file belongs to another server or host (64), the server refused the
    /// enrollment (77), or no credential and no enrollment secret (64).</exception>
    public static async Task<FleetConnection> OpenAsync(string server, string? caFile, string? enrollSecret, string host, string credentialFile,
        TimeSpan timeout, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(logger);
        var client = new FleetClient(server, caFile, timeout);
        FleetCredential? credential = FleetCredential.Load(credentialFile);
        if (credential is not null && (credential.Server != client.Server.ToString() || credential.Host != host))
        {
            client.Dispose();
            throw new SysprintException(ErrorKind.Usage,
                $"{credentialFile}: this host enrolled as '{credential.Host}' at {credential.Server}, not as '{host}' at {client.Server}; remove the file to enroll again");
        }

        if (credential is null && string.IsNullOrEmpty(enrollSecret))
        {
            client.Dispose();
            throw new SysprintException(ErrorKind.Usage,
                $"{credentialFile}: no host credential yet: give the enrollment secret once (--enroll-token SECRET, or 'enroll_token' in the config)");
        }

        var connection = new FleetConnection(client, host, enrollSecret, credentialFile, credential, logger);
        if (credential is null)
        {
            try
            {
                await connection.EnsureEnrolledAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (FleetRefusedException e)
            {
                connection.Dispose();
                throw new SysprintException(ErrorKind.Untrusted, $"enrollment refused: {e.Message}", e);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                Uri address = client.Server;
                logger.LogWarning("cannot reach {Server} to enroll ({Error}); checking locally, enrolling in the background", address, e.Message);
            }
        }

        return connection;
    }

    /// <summary>The credential, enrolling first when the host has none yet.</summary>
    /// <exception cref="FleetRefusedException">The server refused the enrollment.</exception>
    /// <exception cref="HttpRequestException">The server cannot be reached.</exception>
    public async Task<FleetCredential> EnsureEnrolledAsync(CancellationToken cancellationToken)
    {
        if (_credential is { } known)
        {
            return known;
        }

        await _enrolling.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_credential is { } raced)
            {
                return raced;
            }

            FleetCredential credential = await Client.EnrollAsync(_enrollSecret!, Host, cancellationToken).ConfigureAwait(false);
            credential.Save(_credentialFile);
            _credential = credential;
            if (_logger.IsEnabled(LogLevel.Information))
            {
                _logger.LogInformation("enrolled at {Server} as {Host} in group {Group}; credential kept in {File}",
                    credential.Server, credential.Host, credential.Group, _credentialFile);
            }

            return credential;
        }
        finally
        {
            _enrolling.Release();
        }
    }

    public void Dispose()
    {
        Client.Dispose();
        _enrolling.Dispose();
    }
}

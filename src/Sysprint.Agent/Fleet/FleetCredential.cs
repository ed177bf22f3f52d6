using System.Text.Json;
using System.Text.Json.Serialization;
using Sysprint.Diagnostics;
using Sysprint.Fleet;

namespace Sysprint.Agent.Fleet;

/// <summary>
/// What a host received when it enrolled, kept in a file of mode 0600 on the host
/// (<c>credential_file</c>): the server, the host's name and group, and its credential. With it
/// the agent never needs the enrollment secret again.
/// </summary>
public sealed record FleetCredential
{
    [JsonPropertyName("server")]
    public required string Server { get; set; }

    [JsonPropertyName("host")]
    public required string Host { get; set; }

    [JsonPropertyName("group")]
    public required string Group { get; set; }

    [JsonPropertyName("credential")]
    public required string Credential { get; set; }

    [JsonPropertyName("heartbeat_interval_s")]
    public int HeartbeatIntervalSeconds { get; set; } = 30;

    /// <summary>
    /// The CA certificate the host enrolled with (a private CA), so that <c>run</c> and
    /// <c>attach</c> reach the same server; null for the system's roots (or a file from before).
    /// </summary>
    [JsonPropertyName("server_ca")]
    public string? ServerCa { get; set; }

    /// <summary>The credential file, or null when there is none yet.</summary>
    /// <exception cref="SysprintException">Open to others (77), unreadable (66) or not a credential file (65).</exception>
    public static FleetCredential? Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            return null;
        }

        string text = SecretFiles.Read(path, "host credential");
        FleetCredential? credential;
        try
        {
            credential = JsonSerializer.Deserialize(text, FleetJsonContext.Default.FleetCredential);
        }
        catch (JsonException e)
        {
            throw new SysprintException(ErrorKind.MalformedInput,
                $"{path}:{(e.LineNumber ?? 0) + 1}:{(e.BytePositionInLine ?? 0) + 1}: not a host credential file; remove it to enroll again", e);
        }

        if (credential is null || !FleetSecrets.LooksLike(credential.Credential, FleetSecrets.CredentialPrefix) || !HostNames.IsValid(credential.Host))
        {
            throw new SysprintException(ErrorKind.MalformedInput, $"{path}: not a host credential file; remove it to enroll again");
        }

        return credential;
    }

    /// <summary>Writes the file with mode 0600 (atomically).</summary>
    public void Save(string path) => SecretFiles.Write(path, JsonSerializer.Serialize(this, FleetJsonContext.Default.FleetCredential) + "\n", "host credential");
}

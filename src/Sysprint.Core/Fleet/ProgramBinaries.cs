namespace Sysprint.Fleet;

/// <summary>
/// The binaries of one program across the fleet (<c>sysprint hosts --binaries PROGRAM</c>): each
/// host's latest, the majority's (the SHA-256 most hosts run, when one has more hosts than any
/// other), and the hosts whose binary differs from it.
/// </summary>
public sealed class ProgramBinaries
{
    public ProgramBinaries(string program, IReadOnlyList<HostBinary> hosts)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(hosts);
        Program = program;
        Hosts = hosts;
        var counts = hosts.GroupBy(h => h.Sha256, StringComparer.Ordinal)
            .Select(g => (Sha256: g.Key, Hosts: g.Count()))
            .OrderByDescending(c => c.Hosts).ThenBy(c => c.Sha256, StringComparer.Ordinal)
            .ToList();
        Distinct = counts.Count;
        if (counts.Count > 0 && (counts.Count == 1 || counts[0].Hosts > counts[1].Hosts))
        {
            Majority = counts[0].Sha256;
            MajorityHosts = counts[0].Hosts;
        }

        Differing = [.. hosts.Where(h => Majority is null || h.Sha256 != Majority)];
    }

    public string Program { get; }

    /// <summary>Every host's latest binary, by host name.</summary>
    public IReadOnlyList<HostBinary> Hosts { get; }

    /// <summary>How many different binaries the hosts run.</summary>
    public int Distinct { get; }

    /// <summary>The SHA-256 more hosts run than any other; null when none has (a tie, or no host).</summary>
    public string? Majority { get; }

    public int MajorityHosts { get; }

    /// <summary>The hosts whose binary is not the majority's (every host when there is no majority).</summary>
    public IReadOnlyList<HostBinary> Differing { get; }
}

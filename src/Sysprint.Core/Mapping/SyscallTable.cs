using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Text;
using Sysprint.Diagnostics;

namespace Sysprint.Mapping;

/// <summary>
/// The paper's mapping file: system-call names to numbers and back. Built from a shipped Linux
/// table (<see cref="Builtin"/>) or a user's two-column file (<see cref="Parse"/>), and extended
/// with learnt names (Windows native calls, whose numbers change per build) that get stable
/// numbers from <see cref="FirstLearntNumber"/> upwards.
/// </summary>
public sealed class SyscallTable
{
    /// <summary>Learnt names are numbered from here, far above any kernel table.</summary>
    public const int FirstLearntNumber = 100_000;

    /// <summary>The ABIs whose tables ship inside sysprint.</summary>
    public static readonly IReadOnlyList<string> BuiltinAbis = ["x86_64", "i386", "arm64"];

    /// <summary>Longest name a lookup accepts; longer names are never in a table.</summary>
    internal const int MaxNameLength = 128;

    private readonly Dictionary<string, int> _numbers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _numbersBySpan;
    private readonly Dictionary<int, string> _names = [];
    private readonly List<KeyValuePair<int, string>> _learnt = [];
    private int _nextLearnt = FirstLearntNumber;

    // Names found by byte lookups, in an open-addressing table keyed by a hash of their bytes: a log
    // names a few dozen calls millions of times, and comparing bytes is much cheaper than widening
    // them to chars and hashing them for the dictionary. A name never changes its number once in
    // the table and entries are never removed, so an entry never goes stale and a probe may stop
    // at the first empty slot; a name whose probe run is full is simply not cached, so the cache
    // allocates at most once per slot, never per line. Entries are immutable and published whole,
    // so concurrent readers see either no entry or a complete one.
    private const int CacheSlots = 1024;
    private const int CacheProbes = 8;
    private readonly CachedName?[] _cache = new CachedName?[CacheSlots];

    public SyscallTable(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        Source = source;
        _numbersBySpan = _numbers.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>Where the table came from: an ABI name (<c>x86_64</c>) or <c>file:PATH</c>.</summary>
    public string Source { get; }

    /// <summary>Number of names known, learnt ones included.</summary>
    public int Count => _numbers.Count;

    /// <summary>Names learnt since the table was loaded (to be saved to the store).</summary>
    public IReadOnlyList<KeyValuePair<int, string>> NewlyLearnt => _learnt;

    /// <summary>Every (number, name) pair, ordered by number. One number may carry several names (aliases).</summary>
    public IEnumerable<KeyValuePair<int, string>> Entries =>
        _numbers.Select(kv => new KeyValuePair<int, string>(kv.Value, kv.Key))
            .OrderBy(kv => kv.Key).ThenBy(kv => kv.Value, StringComparer.Ordinal);

    /// <summary>The table shipped for <paramref name="abi"/>.</summary>
    /// <exception cref="SysprintException">The ABI is not one of <see cref="BuiltinAbis"/> (Usage).</exception>
    public static SyscallTable Builtin(string abi)
    {
        ArgumentNullException.ThrowIfNull(abi);
        if (!BuiltinAbis.Contains(abi))
        {
            throw new SysprintException(ErrorKind.Usage,
                $"unknown ABI '{abi}': valid ABIs are {string.Join(", ", BuiltinAbis)}");
        }

        using Stream stream = typeof(SyscallTable).Assembly.GetManifestResourceStream($"Sysprint.Tables.{abi}.tbl")
            ?? throw new InvalidOperationException($"the {abi} table is missing from the assembly");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return Parse(reader, abi, abi);
    }

    /// <summary>
    /// Reads a mapping file: one <c>&lt;number&gt; &lt;name&gt;</c> pair per line (tab or spaces),
    /// <c>#</c> starts a comment, blank lines are ignored.
    /// </summary>
    /// <exception cref="MalformedInputException">A line is not a number and a name.</exception>
    public static SyscallTable Parse(TextReader reader, string path, string source)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var table = new SyscallTable(source);
        int lineNumber = 0;
        while (reader.ReadLine() is { } raw)
        {
            lineNumber++;
            string line = raw;
            int hash = line.IndexOf('#', StringComparison.Ordinal);
            if (hash >= 0)
            {
                line = line[..hash];
            }

            string trimmed = line.Trim();
            if (trimmed.Length == 0)
            {
                continue;
            }

            string[] parts = trimmed.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            int column = line.IndexOf(trimmed[0], StringComparison.Ordinal) + 1;
            if (parts.Length != 2)
            {
                throw new MalformedInputException(path, lineNumber, column,
                    $"expected '<number> <name>', found '{Printable.Escape(trimmed)}'");
            }

            if (!int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int number))
            {
                throw new MalformedInputException(path, lineNumber, column,
                    $"expected a system call number, found '{Printable.Escape(parts[0])}'");
            }

            if (!IsValidName(parts[1]))
            {
                throw new MalformedInputException(path, lineNumber, line.IndexOf(parts[1], column, StringComparison.Ordinal) + 1,
                    $"expected a system call name (letters, digits, '_'), found '{Printable.Escape(parts[1])}'");
            }

            table.Add(number, parts[1]);
        }

        return table;
    }

    /// <summary>Adds a known pair; a name already present keeps its first number.</summary>
    public void Add(int number, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!_numbers.TryAdd(name, number))
        {
            // A name keeps its first number; a second number for it would make NameOf disagree with lookups.
            return;
        }

        _names.TryAdd(number, name);
        if (number >= _nextLearnt)
        {
            _nextLearnt = number + 1;
        }
    }

    /// <summary>Looks up an ASCII name; allocates only the first time a name is found.</summary>
    public bool TryGetNumber(ReadOnlySpan<byte> name, out int number)
    {
        if (name.Length > MaxNameLength)
        {
            number = -1;
            return false;
        }

        int slot = Slot(name);
        for (int probe = 0; probe < CacheProbes; probe++)
        {
            CachedName? cached = _cache[(slot + probe) & (CacheSlots - 1)];
            if (cached is null)
            {
                break;
            }

            if (name.SequenceEqual(cached.Name))
            {
                number = cached.Number;
                return true;
            }
        }

        return LookUpAndCache(name, slot, out number);
    }

    /// <summary>Looks up a name.</summary>
    public bool TryGetNumber(string name, out int number) => _numbers.TryGetValue(name, out number);

    /// <summary>Gives a new name the next free learnt number (or returns its existing one).</summary>
    public int Learn(ReadOnlySpan<byte> name)
    {
        if (TryGetNumber(name, out int existing))
        {
            return existing;
        }

        string text = Encoding.ASCII.GetString(name);
        int number = _nextLearnt++;
        Add(number, text);
        _learnt.Add(new KeyValuePair<int, string>(number, text));
        return number;
    }

    /// <summary>The name for a number, or <c>syscall_0x…</c> (strace's own spelling) when none is known.</summary>
    public string NameOf(int number) =>
        _names.TryGetValue(number, out string? name)
            ? name
            : "syscall_0x" + number.ToString("x", CultureInfo.InvariantCulture);

    /// <summary>Forgets the record of newly learnt names once they are saved.</summary>
    public void MarkLearntSaved() => _learnt.Clear();

    /// <summary>Writes the table in the mapping-file format that <see cref="Parse"/> reads.</summary>
    public void WriteTo(TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteLine($"# sysprint mapping: {Source}");
        writer.WriteLine("# <number>\t<name>; '#' starts a comment; numbers from 100000 are names learnt from logs");
        foreach (var (number, name) in Entries)
        {
            writer.Write(number.ToString(CultureInfo.InvariantCulture));
            writer.Write('\t');
            writer.WriteLine(name);
        }
    }

    /// <summary>The cache slot of a name: its length and first and last (up to) eight bytes, mixed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Slot(ReadOnlySpan<byte> name)
    {
        ulong h;
        if (name.Length >= 8)
        {
            h = BinaryPrimitives.ReadUInt64LittleEndian(name) ^ BitOperations.RotateLeft(BinaryPrimitives.ReadUInt64LittleEndian(name[^8..]), 29);
        }
        else
        {
            h = 0;
            for (int i = 0; i < name.Length; i++)
            {
                h = (h << 8) | name[i];
            }
        }

        h = (h ^ (uint)name.Length) * 0x9E3779B97F4A7C15UL;
        return (int)(h >> 54) & (CacheSlots - 1);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool LookUpAndCache(ReadOnlySpan<byte> name, int slot, out int number)
    {
        Span<char> chars = stackalloc char[name.Length];
        for (int i = 0; i < name.Length; i++)
        {
            chars[i] = (char)name[i];
        }

        if (!_numbersBySpan.TryGetValue(chars, out number))
        {
            return false;
        }

        for (int probe = 0; probe < CacheProbes; probe++)
        {
            ref CachedName? entry = ref _cache[(slot + probe) & (CacheSlots - 1)];
            if (entry is null)
            {
                entry = new CachedName(name.ToArray(), number);
                break;
            }
        }

        return true;
    }

    internal static bool IsValidName(ReadOnlySpan<char> name)
    {
        if (name.IsEmpty || name.Length > MaxNameLength)
        {
            return false;
        }

        foreach (char c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                return false;
            }
        }

        return true;
    }

    private sealed record CachedName(byte[] Name, int Number);
}

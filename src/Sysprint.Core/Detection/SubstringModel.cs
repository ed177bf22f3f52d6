namespace Sysprint.Detection;

/// <summary>
/// Every window of 1 to <see cref="MaxWindow"/> consecutive calls seen in normal traces, with how
/// often it was seen: the fingerprint of the paper for all window lengths at once (a window of k
/// calls is seen exactly when the k-gram fingerprint holds it). Detectors read a trace through
/// <see cref="Analyse(ReadOnlySpan{int}, Span{byte}, Span{int}, int)"/>, which finds for each call the longest seen window ending at it: since a
/// window containing an unseen window is unseen, that one number per call answers "is the k-window
/// here seen?" for every k.
/// </summary>
public sealed class SubstringModel
{
    /// <summary>Longest window tracked: ids are packed 12 bits each into a 128-bit key.</summary>
    public const int MaxWindow = 10;

    private const int IdBits = 12;
    private const int MaxIds = (1 << IdBits) - 1;

    private readonly Dictionary<int, int> _ids = [];
    private readonly Dictionary<UInt128, int>[] _counts;
    private readonly long[] _totals;
    private bool _frozen;

    public SubstringModel()
    {
        _counts = new Dictionary<UInt128, int>[MaxWindow + 1];
        _totals = new long[MaxWindow + 1];
        for (int k = 1; k <= MaxWindow; k++)
        {
            _counts[k] = [];
        }
    }

    /// <summary>Distinct windows of <paramref name="k"/> calls seen.</summary>
    public int Distinct(int k) => _counts[k].Count;

    /// <summary>Windows of <paramref name="k"/> calls seen, with repetition.</summary>
    public long Total(int k) => _totals[k];

    /// <summary>Learns one thread's calls.</summary>
    public void Learn(ReadOnlySpan<int> calls)
    {
        if (_frozen)
        {
            throw new InvalidOperationException("the model is frozen: learning must end before analysis starts");
        }

        Span<int> ids = calls.Length <= 4096 ? stackalloc int[calls.Length] : new int[calls.Length];
        for (int i = 0; i < calls.Length; i++)
        {
            ids[i] = IdOf(calls[i], create: true);
        }

        for (int i = 0; i < ids.Length; i++)
        {
            UInt128 key = 0;
            for (int k = 1; k <= MaxWindow && k <= i + 1; k++)
            {
                key |= (UInt128)(uint)ids[i - k + 1] << (IdBits * (k - 1));
                ref int count = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_counts[k], key, out _);
                count++;
                _totals[k]++;
            }
        }
    }

    /// <summary>Ends learning; analysis may run on several threads at once from here.</summary>
    public void Freeze() => _frozen = true;

    /// <summary>
    /// For each call of <paramref name="calls"/>, the longest seen window ending at it
    /// (<paramref name="longest"/>, 0 when the call itself was never seen) and how often the window of
    /// <paramref name="countWindow"/> calls ending at it was seen (<paramref name="counts"/>, 0 when unseen).
    /// </summary>
    public void Analyse(ReadOnlySpan<int> calls, Span<byte> longest, Span<int> counts, int countWindow) =>
        Analyse(calls, longest, counts, countWindow, null);

    /// <summary>
    /// As <see cref="Analyse(ReadOnlySpan{int}, Span{byte}, Span{int}, int)"/>, but as if the windows
    /// counted in <paramref name="excluded"/> had not been learnt: leave-one-out analysis of a
    /// learnt trace, for calibrating detectors on normal data only.
    /// </summary>
    public void Analyse(ReadOnlySpan<int> calls, Span<byte> longest, Span<int> counts, int countWindow, WindowCounts? excluded)
    {
        _frozen = true;
        Span<int> ids = calls.Length <= 4096 ? stackalloc int[calls.Length] : new int[calls.Length];
        for (int i = 0; i < calls.Length; i++)
        {
            ids[i] = IdOf(calls[i], create: false);
        }

        for (int i = 0; i < ids.Length; i++)
        {
            UInt128 key = 0;
            int seen = 0;
            int count = 0;
            for (int k = 1; k <= MaxWindow && k <= i + 1; k++)
            {
                int id = ids[i - k + 1];
                if (id == 0)
                {
                    break;
                }

                key |= (UInt128)(uint)id << (IdBits * (k - 1));
                if (!_counts[k].TryGetValue(key, out int c))
                {
                    break;
                }

                if (excluded is not null)
                {
                    c -= excluded.Count(k, key);
                    if (c <= 0)
                    {
                        break;
                    }
                }

                seen = k;
                if (k == countWindow)
                {
                    count = c;
                }
            }

            longest[i] = (byte)seen;
            counts[i] = count;
        }
    }

    /// <summary>The windows of one trace (all its threads), counted as <see cref="Learn"/> would.</summary>
    public WindowCounts CountsOf(IEnumerable<int[]> threads)
    {
        ArgumentNullException.ThrowIfNull(threads);
        var own = new WindowCounts();
        foreach (int[] calls in threads)
        {
            for (int i = 0; i < calls.Length; i++)
            {
                UInt128 key = 0;
                for (int k = 1; k <= MaxWindow && k <= i + 1; k++)
                {
                    int id = IdOf(calls[i - k + 1], create: false);
                    if (id == 0)
                    {
                        break;
                    }

                    key |= (UInt128)(uint)id << (IdBits * (k - 1));
                    own.Add(k, key);
                }
            }
        }

        return own;
    }

    /// <summary>Distinct calls learnt.</summary>
    public int CallCount => _ids.Count;

    /// <summary>The set of learnt calls a trace uses, as a bitset over dense ids, and how many of its distinct calls were never learnt.</summary>
    public (ulong[] Bits, int Unknown) CallSet(IEnumerable<int[]> threads)
    {
        ArgumentNullException.ThrowIfNull(threads);
        var bits = new ulong[(_ids.Count >> 6) + 1];
        var unknown = new HashSet<int>();
        foreach (int[] calls in threads)
        {
            foreach (int call in calls)
            {
                int id = IdOf(call, create: false);
                if (id == 0)
                {
                    unknown.Add(call);
                }
                else
                {
                    bits[(id - 1) >> 6] |= 1UL << ((id - 1) & 63);
                }
            }
        }

        return (bits, unknown.Count);
    }

    /// <summary>The syscall number of a dense id (1-based).</summary>
    public int NumberOf(int id)
    {
        foreach (var (number, dense) in _ids)
        {
            if (dense == id)
            {
                return number;
            }
        }

        return -1;
    }

    /// <summary>Dense id of a call (1-based); 0 for a call never learnt when not creating.</summary>
    private int IdOf(int number, bool create)
    {
        if (_ids.TryGetValue(number, out int id))
        {
            return id;
        }

        if (!create)
        {
            return 0;
        }

        if (_ids.Count >= MaxIds)
        {
            throw new InvalidOperationException($"the evaluation model holds at most {MaxIds} distinct calls");
        }

        id = _ids.Count + 1;
        _ids[number] = id;
        return id;
    }

    /// <summary>Counts of windows by length, for leave-one-out analysis.</summary>
    public sealed class WindowCounts
    {
        private readonly Dictionary<UInt128, int>[] _counts = [.. Enumerable.Range(0, MaxWindow + 1).Select(_ => new Dictionary<UInt128, int>())];

        internal void Add(int k, UInt128 key) =>
            System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_counts[k], key, out _)++;

        internal int Count(int k, UInt128 key) => _counts[k].GetValueOrDefault(key);
    }
}

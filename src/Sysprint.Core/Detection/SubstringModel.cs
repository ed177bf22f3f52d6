namespace Sysprint.Detection;

/// <summary>
/// Every window of 1 to <see cref="MaxWindow"/> consecutive calls seen in normal traces, with how
/// often it was seen: the fingerprint of the paper for all window lengths at once (a window of k
/// calls is seen exactly when the k-gram fingerprint holds it). Detectors read a trace through
/// <see cref="Analyse(ReadOnlySpan{int}, Span{byte}, Span{int}, int)"/>, which finds for each call the
/// longest seen window ending at it: since a window containing an unseen window is unseen, that one
/// number per call answers "is the k-window here seen?" for every k.
/// </summary>
public sealed class SubstringModel
{
    /// <summary>Longest window tracked.</summary>
    public const int MaxWindow = 10;

    private const int MaxIds = (1 << WindowTrie.IdBits) - 1;
    private const int DirectNumbers = 4096;

    private readonly int[] _idOfSmall = new int[DirectNumbers];
    private readonly Dictionary<int, int> _idOfLarge = [];
    private readonly List<int> _numberOfId = [0];
    private readonly WindowTrie _trie = new();
    private readonly int[] _distinct = new int[MaxWindow + 1];
    private readonly long[] _totals = new long[MaxWindow + 1];
    private bool _frozen;

    /// <summary>Distinct windows of <paramref name="k"/> calls seen.</summary>
    public int Distinct(int k) => _distinct[k];

    /// <summary>Windows of <paramref name="k"/> calls seen, with repetition.</summary>
    public long Total(int k) => _totals[k];

    /// <summary>Distinct calls learnt.</summary>
    public int CallCount => _numberOfId.Count - 1;

    /// <summary>Learns one thread's calls.</summary>
    public void Learn(ReadOnlySpan<int> calls)
    {
        if (_frozen)
        {
            throw new InvalidOperationException("the model is frozen: learning must end before analysis starts");
        }

        int[] ids = new int[calls.Length];
        for (int i = 0; i < calls.Length; i++)
        {
            ids[i] = IdOf(calls[i], create: true);
        }

        for (int i = 0; i < ids.Length; i++)
        {
            int node = 0;
            for (int k = 1; k <= MaxWindow && k <= i + 1; k++)
            {
                node = _trie.GetOrAddChild(node, ids[i - k + 1], out bool created);
                if (created)
                {
                    _distinct[k]++;
                }

                _trie.Increment(node);
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
            int node = 0;
            int seen = 0;
            int count = 0;
            for (int k = 1; k <= MaxWindow && k <= i + 1; k++)
            {
                int id = ids[i - k + 1];
                if (id == 0)
                {
                    break;
                }

                node = _trie.Child(node, id);
                if (node < 0)
                {
                    break;
                }

                int c = _trie.Count(node);
                if (excluded is not null)
                {
                    c -= excluded.Count(node);
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

    /// <summary>The windows of one learnt trace (all its threads), counted as <see cref="Learn"/> counted them.</summary>
    public WindowCounts CountsOf(IEnumerable<int[]> threads)
    {
        ArgumentNullException.ThrowIfNull(threads);
        var own = new WindowCounts();
        foreach (int[] calls in threads)
        {
            for (int i = 0; i < calls.Length; i++)
            {
                int node = 0;
                for (int k = 1; k <= MaxWindow && k <= i + 1; k++)
                {
                    int id = IdOf(calls[i - k + 1], create: false);
                    node = id == 0 ? -1 : _trie.Child(node, id);
                    if (node < 0)
                    {
                        break;
                    }

                    own.Add(node);
                }
            }
        }

        return own;
    }

    /// <summary>The set of learnt calls a trace uses, as a bitset over dense ids, and how many of its distinct calls were never learnt.</summary>
    public (ulong[] Bits, int Unknown) CallSet(IEnumerable<int[]> threads)
    {
        ArgumentNullException.ThrowIfNull(threads);
        var bits = new ulong[(CallCount >> 6) + 1];
        HashSet<int>? unknown = null;
        foreach (int[] calls in threads)
        {
            foreach (int call in calls)
            {
                int id = IdOf(call, create: false);
                if (id == 0)
                {
                    (unknown ??= []).Add(call);
                }
                else
                {
                    bits[(id - 1) >> 6] |= 1UL << ((id - 1) & 63);
                }
            }
        }

        return (bits, unknown?.Count ?? 0);
    }

    /// <summary>The syscall number of a dense id (1-based).</summary>
    public int NumberOf(int id) => id > 0 && id < _numberOfId.Count ? _numberOfId[id] : -1;

    /// <summary>Dense id of a call (1-based); 0 for a call never learnt when not creating.</summary>
    private int IdOf(int number, bool create)
    {
        int id;
        if ((uint)number < DirectNumbers)
        {
            id = _idOfSmall[number];
        }
        else
        {
            id = _idOfLarge.GetValueOrDefault(number);
        }

        if (id != 0 || !create)
        {
            return id;
        }

        if (_numberOfId.Count > MaxIds)
        {
            throw new InvalidOperationException($"the evaluation model holds at most {MaxIds} distinct calls");
        }

        id = _numberOfId.Count;
        _numberOfId.Add(number);
        if ((uint)number < DirectNumbers)
        {
            _idOfSmall[number] = id;
        }
        else
        {
            _idOfLarge[number] = id;
        }

        return id;
    }

    /// <summary>How often each window occurs in one trace, for leave-one-out analysis.</summary>
    public sealed class WindowCounts
    {
        private readonly Dictionary<int, int> _counts = [];

        internal void Add(int node) =>
            System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_counts, node, out _)++;

        internal int Count(int node) => _counts.GetValueOrDefault(node);
    }
}

package parity

import (
	"context"
	"fmt"
	"slices"

	"github.com/redis/go-redis/v9"
)

// bigSample is how many elements of a big key are compared.
const bigSample = 100

// compareBig compares a key too big to DUMP: its size (already equal when
// this is called) and a sample of its elements, read from both sides.
func compareBig(ctx context.Context, src, dst redis.Cmdable, key string, m meta) (string, error) {
	switch m.typ {
	case "string":
		return sampleString(ctx, src, dst, key, m.size)
	case "list":
		return sampleList(ctx, src, dst, key, m.size)
	case "set":
		members, err := src.SRandMemberN(ctx, key, bigSample).Result()
		if err != nil {
			return "", err
		}
		in, err := dst.SMIsMember(ctx, key, toAny(members)...).Result()
		if err != nil {
			return "", err
		}
		if i := slices.Index(in, false); i >= 0 {
			return fmt.Sprintf("set member %q is not on the target", members[i]), nil
		}
	case "zset":
		zs, err := src.ZRandMemberWithScores(ctx, key, bigSample).Result()
		if err != nil {
			return "", err
		}
		members := make([]string, len(zs))
		for i, z := range zs {
			members[i] = z.Member.(string)
		}
		scores, err := dst.ZMScore(ctx, key, members...).Result()
		if err != nil {
			return "", err
		}
		for i, z := range zs {
			if scores[i] != z.Score {
				return fmt.Sprintf("sorted set member %q has score %s on the source, %s on the target", members[i], fmtScore(z.Score), fmtScore(scores[i])), nil
			}
		}
	case "hash":
		kv, err := src.HRandFieldWithValues(ctx, key, bigSample).Result()
		if err != nil {
			return "", err
		}
		fields := make([]string, len(kv))
		for i, p := range kv {
			fields[i] = p.Key
		}
		vals, err := dst.HMGet(ctx, key, fields...).Result()
		if err != nil {
			return "", err
		}
		for i, p := range kv {
			if v, ok := vals[i].(string); !ok || v != p.Value {
				return fmt.Sprintf("hash field %q differs", p.Key), nil
			}
		}
	case "stream":
		return sampleStream(ctx, src, dst, key)
	}
	return "", nil
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// sampleString compares 4 KB at the start, middle and end.
func sampleString(ctx context.Context, src, dst redis.Cmdable, key string, size int64) (string, error) {
	const chunk = 4096
	for _, at := range []int64{0, size / 2, max(0, size-chunk)} {
		a, err := src.GetRange(ctx, key, at, at+chunk-1).Result()
		if err != nil {
			return "", err
		}
		b, err := dst.GetRange(ctx, key, at, at+chunk-1).Result()
		if err != nil {
			return "", err
		}
		if a != b {
			return fmt.Sprintf("string differs around byte %d", at), nil
		}
	}
	return "", nil
}

// sampleList compares the first, middle and last elements.
func sampleList(ctx context.Context, src, dst redis.Cmdable, key string, size int64) (string, error) {
	const n = bigSample / 3
	for _, at := range []int64{0, size/2 - n/2, size - n} {
		a, err := src.LRange(ctx, key, at, at+n-1).Result()
		if err != nil {
			return "", err
		}
		b, err := dst.LRange(ctx, key, at, at+n-1).Result()
		if err != nil {
			return "", err
		}
		if !slices.Equal(a, b) {
			return fmt.Sprintf("list elements from index %d differ", at), nil
		}
	}
	return "", nil
}

// sampleStream compares the first and last entries.
func sampleStream(ctx context.Context, src, dst redis.Cmdable, key string) (string, error) {
	for _, rev := range []bool{false, true} {
		read := func(c redis.Cmdable) ([]redis.XMessage, error) {
			if rev {
				return c.XRevRangeN(ctx, key, "+", "-", bigSample/2).Result()
			}
			return c.XRangeN(ctx, key, "-", "+", bigSample/2).Result()
		}
		a, err := read(src)
		if err != nil {
			return "", err
		}
		b, err := read(dst)
		if err != nil {
			return "", err
		}
		if len(a) != len(b) {
			return "stream entries differ", nil
		}
		for i := range a {
			if a[i].ID != b[i].ID || fmt.Sprint(a[i].Values) != fmt.Sprint(b[i].Values) {
				return fmt.Sprintf("stream entry %s differs", a[i].ID), nil
			}
		}
	}
	return "", nil
}

#!/usr/bin/env python3
"""The peer tools, timed: ONNX Runtime's own FP16 converter and dynamic INT8 quantizer (Python, CPU).
Usage: peer_convert.py fp16|int8 <in.onnx> <out.onnx>  → prints JSON {tool, seconds, peak_rss_mb}."""
import json, os, resource, sys, time
import onnx

mode, src, dst = sys.argv[1:4]
t0 = time.perf_counter()
if mode == 'fp16':
    from onnxruntime.transformers.float16 import convert_float_to_float16
    m = onnx.load(src)
    m16 = convert_float_to_float16(m, keep_io_types=True)
    big = sum(len(t.raw_data) for t in m16.graph.initializer) > 1_900_000_000
    onnx.save(m16, dst, save_as_external_data=big, all_tensors_to_one_file=True, location=os.path.basename(dst) + '.data' if big else None)
    tool = 'onnxruntime.transformers.float16.convert_float_to_float16(keep_io_types=True)'
else:
    from onnxruntime.quantization import QuantType, quantize_dynamic
    big = os.path.getsize(src) + (os.path.getsize(src + '.data') if os.path.exists(src + '.data') else 0) > 1_900_000_000
    quantize_dynamic(src, dst, weight_type=QuantType.QInt8, per_channel=True, use_external_data_format=big)
    tool = 'onnxruntime.quantization.quantize_dynamic(per_channel=True, QInt8)'
secs = time.perf_counter() - t0
print(json.dumps({'tool': tool, 'mode': mode, 'seconds': secs, 'peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))

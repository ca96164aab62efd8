{
  "targets": [
    {
      "target_name": "ort_node",
      "sources": ["src/ort_node.cc"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!(node -p \"process.env.WB_ORT_HEADERS || ''\")"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "ORT_API_MANUAL_INIT"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-O2"],
      "ldflags": [],
      "libraries": ["-ldl"]
    }
  ]
}

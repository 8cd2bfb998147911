// yaml-oracle reads YAML the way kubectl does (sigs.k8s.io/yaml, which kubectl and the API machinery use to turn
// a manifest into JSON) and prints what it makes of each case, for the differential test of the plugin's reader.
//
// Input on stdin: a JSON array of YAML texts, one document each. Output: a JSON array, for each case either
// {"json": <the JSON kubectl would send>} or {"error": "<why it could not be read>"}.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"sigs.k8s.io/yaml"
)

type result struct {
	JSON  json.RawMessage `json:"json,omitempty"`
	Error string          `json:"error,omitempty"`
}

func main() {
	input, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var cases []string
	if err := json.Unmarshal(input, &cases); err != nil {
		fmt.Fprintln(os.Stderr, "stdin: a JSON array of strings:", err)
		os.Exit(1)
	}
	results := make([]result, len(cases))
	for i, text := range cases {
		out, err := yaml.YAMLToJSON([]byte(text))
		if err != nil {
			results[i].Error = err.Error()
		} else {
			results[i].JSON = out
		}
	}
	if err := json.NewEncoder(os.Stdout).Encode(results); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

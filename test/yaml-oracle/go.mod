// The YAML reader kubectl 1.34 uses (the version test/cluster/go.mod pins), as a test oracle.
module kubectl-gray/test/yaml-oracle

go 1.24.0

require sigs.k8s.io/yaml v1.6.0

require go.yaml.in/yaml/v2 v2.4.2 // indirect

// kubectl at the same version as the local kube-apiserver. The machine's kubectl may be outside the
// supported +/-1 minor skew; this one never is. Plugin discovery (kubectl gray) works as in any kubectl.
package main

import (
	"k8s.io/component-base/cli"
	"k8s.io/kubectl/pkg/cmd"
	"k8s.io/kubectl/pkg/cmd/util"
)

func main() {
	command := cmd.NewDefaultKubectlCommand()
	if err := cli.RunNoErrOutput(command); err != nil {
		util.CheckErr(err)
	}
}
